/**
 * The gateway's log after every other case: no token, session cookie or forged header value a client
 * sent may appear in it (README: tokens, cookies and bodies are never logged; drops are logged by name).
 */
import type { ProbeCase } from '../probe-case.ts';

export const logCases: ProbeCase[] = [
  {
    id: 'log-has-no-secrets',
    group: 'log',
    async run(ctx) {
      const output = ctx.gateway.output();
      const leaked = [...ctx.secrets].filter((s) => s.length >= 8 && output.includes(s));
      const lines = output.split('\n').filter(Boolean).length;
      return {
        expected: `none of ${ctx.secrets.size} tokens, cookies and forged values in the log`,
        seen: `${lines} log lines, ${leaked.length} found`,
        problems: leaked.map((s) => `the log holds ${s.length > 24 ? `${s.slice(0, 24)}...` : s}`),
      };
    },
  },
];
