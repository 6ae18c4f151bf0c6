/**
 * Refused requests on the control app (bad tokens, malformed events, oversize bodies, ...): one
 * `request refused` line each with the stable error code, limited per code like the security log, so a
 * flood cannot fill a disk. Fields name the path, the status, the request id and what the gateway knows
 * of the sender (a container id); never a token, a body or a query string.
 */
import { createLineLimiter, type LineLimiterOptions } from './line-limiter.ts';
import type { Logger } from './log.ts';

export interface RefusalLog {
  refused(code: string, fields: Record<string, unknown>): void;
  stop(): void;
}

export function createRefusalLog(log: Logger, options: LineLimiterOptions = {}): RefusalLog {
  const limiter = createLineLimiter(
    (code, suppressed, windowMs) => log.warn('refused requests suppressed', { code, suppressed, windowMs }),
    options,
  );
  return {
    refused(code, fields) {
      if (limiter.admit(code)) log.warn('request refused', { code, ...fields });
    },
    stop: () => limiter.stop(),
  };
}
