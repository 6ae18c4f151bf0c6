import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { createSecurityLog, SecurityReason } from '../../gateway/security-log.ts';

describe('security log', () => {
  it('logs each event with its reason, up to a burst per reason and window, then one summary line', () => {
    vi.useFakeTimers();
    try {
      const lines: Record<string, unknown>[] = [];
      const log = createLogger('info', (l) => lines.push(JSON.parse(l)));
      const security = createSecurityLog(log, { burst: 3, windowMs: 1000 });
      for (let i = 0; i < 10; i++) security.event(SecurityReason.HeadersDropped, { count: 1 });
      security.event(SecurityReason.CsrfRefused);
      expect(lines.filter((l) => l.reason === SecurityReason.HeadersDropped)).toHaveLength(3);
      expect(lines.filter((l) => l.reason === SecurityReason.CsrfRefused)).toHaveLength(1);
      vi.advanceTimersByTime(1000);
      expect(lines.at(-1)).toMatchObject({
        msg: 'security events suppressed',
        reason: SecurityReason.HeadersDropped,
        suppressed: 7,
      });
      // A new window logs again.
      security.event(SecurityReason.HeadersDropped);
      expect(lines.at(-1)).toMatchObject({ msg: 'security', reason: SecurityReason.HeadersDropped });
      expect(security.render()).toContain('gateway_security_events_total{reason="headers_dropped"} 11');
      expect(security.render()).toContain('gateway_security_events_total{reason="access_denied"} 0');
      security.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
