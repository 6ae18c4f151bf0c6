/**
 * VPN connects the gateway refuses, one `vpn client refused` line each with the container, its real
 * address and the reason (management.ts itself only says so at debug). A refused client retries every
 * few seconds, so lines are limited per reason (`line-limiter.ts`).
 */
import { createLineLimiter, type LineLimiterOptions } from '../line-limiter.ts';
import type { Logger } from '../log.ts';
import type { AuthDecision, ConnectRequest } from './management.ts';

/** What management.ts answers when the authorizer itself fails. */
const UNCHECKED = 'gateway could not check this client';

export interface LoggedAuthorizer {
  authorize(request: ConnectRequest): Promise<AuthDecision>;
  stop(): void;
}

export function logRefusedClients(
  authorize: (request: ConnectRequest) => Promise<AuthDecision>,
  log: Logger,
  options: LineLimiterOptions = {},
): LoggedAuthorizer {
  const limiter = createLineLimiter(
    (reason, suppressed, windowMs) =>
      log.warn('vpn client refusals suppressed', { reason, suppressed, windowMs }),
    options,
  );
  const refused = (request: ConnectRequest, reason: string) => {
    if (limiter.admit(reason))
      log.warn('vpn client refused', {
        containerId: request.commonName,
        realAddress: request.realAddress,
        reason,
      });
  };
  return {
    async authorize(request) {
      try {
        const decision = await authorize(request);
        if (!decision.allow) refused(request, decision.reason);
        return decision;
      } catch (err) {
        refused(request, UNCHECKED);
        throw err;
      }
    },
    stop: () => limiter.stop(),
  };
}
