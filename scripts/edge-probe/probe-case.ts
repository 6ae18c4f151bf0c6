/**
 * What a case is: bytes to send on a raw socket and the checks its outcome must pass (status line or a
 * closed connection, answer headers, what the app received, whether the connection closed). A case
 * reports what it expected and what it saw, in words, and every check that failed.
 */
import type { DevKey } from '../../gateway/auth/dev-key.ts';
import type { Runtime } from '../../gateway/server/runtime.ts';
import type { AppRecord, EchoApp } from './app.ts';
import type { Gateway } from './launch.ts';
import { type Exchange, exchange } from './raw.ts';

export interface Hosts {
  /** The gateway's own host (`GATEWAY_FQDN`, `localhost:<PORT>` in development). */
  gateway: string;
  /** The public service's primary alias, `uc-probe.org-edge.localhost`. */
  alias: string;
  /** The public service, `uc-probe--web.org-edge.localhost`. */
  web: string;
  /** The `project` service, `uc-probe--private.org-edge.localhost`. */
  private: string;
  /** The container revoked by the registration cases. */
  revoked: string;
}

export interface ProbeContext {
  runtime: Runtime;
  gateway: Gateway;
  app: EchoApp;
  devKey: DevKey;
  org: string;
  project: string;
  hosts: Hosts;
  /** Container tokens by container id; user tokens as `user:<name>`. */
  tokens: Map<string, string>;
  /** What one case leaves for a later one (the sign-in flow's cookies and URLs). */
  state: Map<string, string>;
  /** Values only a hostile client sent: they must never reach the gateway's log. */
  secrets: Set<string>;
}

export interface Observation {
  exchange: Exchange;
  /** What the app received while the case ran. */
  app: AppRecord[];
}

export interface Check {
  /** The expectation in a few words (the table's "expected" column; '' for none). */
  expect: string;
  /** What is wrong, or undefined when the check holds. */
  problem(o: Observation): string | undefined;
  /** A detail for the "seen" column. */
  note?(o: Observation): string | undefined;
}

export interface CaseOutcome {
  expected: string;
  seen: string;
  problems: string[];
  /** What a raw case saw (absent when it was not sent). */
  observation?: Observation;
}

export interface ProbeCase {
  id: string;
  group: string;
  run(ctx: ProbeContext): Promise<CaseOutcome>;
}

export interface RawCase {
  id: string;
  /** The exact bytes (latin1 text), one write per string. */
  send(ctx: ProbeContext): string | string[];
  checks(ctx: ProbeContext): Check[];
  /** Which listener: the public one (default) or the admin one. */
  listener?: 'public' | 'admin';
  /** Complete answers after which the exchange may end (default 1). */
  answers?: number;
  /** Wait for the server to close even after the answers (default: when a check wants a close). */
  untilClosed?: boolean;
  timeoutMs?: number;
  gapMs?: number;
  /** Keys of `ctx.state` an earlier step must have left; without them the case is not sent. */
  requires?: string[];
  /** Runs after the checks (keeps values for later cases). */
  after?(o: Observation, ctx: ProbeContext): void;
}

const DEFAULT_TIMEOUT_MS = 3_000;
/** After an exchange, what the app may still be recording (a request forwarded late) gets this long. */
const SETTLE_MS = 150;

/** Turns a raw case into a runnable one in `group`. */
export function rawCase(group: string, def: RawCase): ProbeCase {
  return {
    id: def.id,
    group,
    async run(ctx) {
      const checks = def.checks(ctx);
      const expected = checks
        .map((c) => c.expect)
        .filter(Boolean)
        .join(', ');
      const missing = (def.requires ?? []).filter((key) => !ctx.state.has(key));
      if (missing.length > 0) {
        const why = `not sent: needs ${missing.join(', ')} from an earlier step`;
        return { expected, seen: why, problems: [why] };
      }
      const sent = def.send(ctx);
      const before = ctx.app.records.length;
      const port = def.listener === 'admin' ? ctx.gateway.adminPort : ctx.gateway.port;
      const result = await exchange({
        port,
        parts: Array.isArray(sent) ? sent : [sent],
        gapMs: def.gapMs,
        answers: def.answers ?? 1,
        untilClosed: def.untilClosed ?? checks.some((c) => c === CLOSED),
        timeoutMs: def.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const o: Observation = { exchange: result, app: ctx.app.records.slice(before) };
      const problems = checks.map((c) => c.problem(o)).filter((p): p is string => p !== undefined);
      def.after?.(o, ctx);
      const notes = checks.map((c) => c.note?.(o)).filter((n): n is string => n !== undefined);
      return { expected, seen: [seenOf(o), ...notes].join('; '), problems, observation: o };
    },
  };
}

/** The check "the connection was closed"; raw cases with it wait for the close. */
export const CLOSED: Check = {
  expect: 'closed',
  problem: (o) => (o.exchange.closed ? undefined : 'the connection stayed open'),
};

/** Printable form of bytes that are not an HTTP/1 answer. */
export function printable(bytes: string, max = 24): string {
  const shown = bytes
    .slice(0, max)
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return bytes.length > max ? `${shown}...` : shown;
}

/** One line: the answers, the connection, and what reached the app. */
export function seenOf(o: Observation): string {
  const { responses, rest, closed, error } = o.exchange;
  const parts: string[] = [];
  if (responses.length > 0) parts.push(responses.map((r) => `${r.status}${errorCodeOf(r.body)}`).join('+'));
  if (rest.length > 0)
    parts.push(
      responses.length === 0 && !/^HTTP\/\d/.test(rest)
        ? `non-HTTP/1 bytes "${printable(rest)}"`
        : `+${rest.length} more bytes`,
    );
  if (parts.length === 0) parts.push('no answer');
  parts.push(closed ? 'closed' : 'open');
  if (error && error !== 'ECONNRESET') parts.push(error);
  else if (error) parts.push('reset');
  return `${parts.join(', ')}, app: ${appSummary(o.app)}`;
}

/** ` GW_ERR_...` when a body is the gateway's JSON error, else ''. */
function errorCodeOf(body: string): string {
  if (!body.startsWith('{"error"')) return '';
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? ` ${code}` : '';
  } catch {
    return '';
  }
}

function appSummary(records: AppRecord[]): string {
  if (records.length === 0) return 'nothing';
  const shown = records.slice(0, 3).map((r) => {
    if (r.parseError?.startsWith('HPE_')) return `${r.bytes} bytes it could not parse (${r.parseError})`;
    if (r.parseError) return `${r.bytes} bytes, then ${r.parseError}`;
    const flags = [r.upgrade ? 'upgrade' : '', r.switched ? 'switched' : '', r.complete ? '' : 'cut off'];
    const extra = flags.filter(Boolean).join(' ');
    return `${r.method} ${printable(r.url, 40)}${extra ? ` (${extra})` : ''}`;
  });
  return records.length > 3 ? `${shown.join(', ')} +${records.length - 3}` : shown.join(', ');
}
