/**
 * Security events: one JSON line each, with a stable reason code, and a counter per reason for
 * `/metrics`. Lines are limited per reason (`line-limiter.ts`: 20 a minute, the rest counted and reported
 * in one line when the minute ends), so a flood of hostile requests cannot fill a disk. Fields must never hold a token, a cookie, a query string or a header value.
 */
import { createLineLimiter, type LineLimiterOptions } from './line-limiter.ts';
import type { Logger } from './log.ts';

/** Why a security event was logged: stable codes (SECURITY.md lists them). */
export const SecurityReason = {
  /** The app answered a WebSocket handshake with something other than 101; the answer was relayed. */
  UpgradeRefusedByApp: 'upgrade_refused_by_app',
  /** An `Upgrade` on a request that is not a WebSocket handshake (h2c, ...): sent on as plain HTTP without it. */
  UpgradeNotRelayed: 'upgrade_not_relayed',
  /** Request headers dropped before forwarding: reserved identity or forwarding names, or `_` in a name. */
  HeadersDropped: 'headers_dropped',
  /** A cross-origin POST to the sign-in endpoints from an origin that is not admitted. */
  CsrfRefused: 'csrf_refused',
  /** A user token that did not verify (sign-in). */
  UserTokenRefused: 'user_token_refused',
  /** A redirect target (`next`, sign-in host) that is not the gateway's own or a container's. */
  RedirectRefused: 'redirect_refused',
  /** A signed-in user asked for a service the policy does not let them see. */
  AccessDenied: 'access_denied',
  /** An operator revoked a container. */
  ContainerRevoked: 'container_revoked',
  /** A revoked container tried to register or report again. */
  RevokedContainerRefused: 'revoked_container_refused',
  /** A registration whose upstream would be one of the gateway's own listeners. */
  OwnListenerRefused: 'own_listener_refused',
  /**
   * A request refused at the public listener before routing: a head that cannot be read, is ambiguous,
   * too large or too slow, or that the front end does not take (CONNECT, a control character in a value).
   */
  EdgeRefused: 'edge_refused',
} as const;

export type SecurityReason = (typeof SecurityReason)[keyof typeof SecurityReason];

export interface SecurityLog {
  /** Logs (within the rate limit) and counts one event. */
  event(reason: SecurityReason, fields?: Record<string, unknown>): void;
  /** `gateway_security_events_total{reason}` in the Prometheus text format. */
  render(): string;
  stop(): void;
}

export function createSecurityLog(log: Logger, options: LineLimiterOptions = {}): SecurityLog {
  const totals = new Map<SecurityReason, number>();
  const limiter = createLineLimiter(
    (reason, suppressed, windowMs) =>
      log.warn('security events suppressed', { reason, suppressed, windowMs }),
    options,
  );
  return {
    event(reason, fields) {
      totals.set(reason, (totals.get(reason) ?? 0) + 1);
      if (!limiter.admit(reason)) return;
      const line: Record<string, unknown> = { reason, ...fields };
      line.reason = reason; // a field of the same name never hides it (and the reason stays first)
      log.warn('security', line);
    },
    render() {
      const out = [
        '# HELP gateway_security_events_total Security events by reason (see SECURITY.md).',
        '# TYPE gateway_security_events_total counter',
      ];
      for (const reason of Object.values(SecurityReason))
        out.push(`gateway_security_events_total{reason="${reason}"} ${totals.get(reason) ?? 0}`);
      return `${out.join('\n')}\n`;
    },
    stop: () => limiter.stop(),
  };
}

/** For tests and tools that build parts of the gateway without logs. */
export const silentSecurityLog: SecurityLog = { event() {}, render: () => '', stop() {} };
