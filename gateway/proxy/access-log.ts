/**
 * The access log (`ACCESS_LOG`): one JSON line per proxied exchange, through the logger. The mode is
 * turned into functions once, at start: `off` is a set of empty functions, so the request path does no
 * work for it, and the callers pass only values they hold already (no object is made per request for
 * the call). Paths are logged without their query string (Jupyter's `?token=` lives there), and never a
 * header value other than the request id, trace id and client address.
 */
import type { Logger } from '../log.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { ScannedRequest } from './headers.ts';
import type { Answerer } from './metrics.ts';
import type { ProxyErrorAnswer } from './pages.ts';
import { traceIdOf } from './request-ids.ts';

export type AccessLogMode = 'off' | 'errors' | 'all';

/** Which side cut an exchange before its answer ended: the upstream failed, or the client went away. */
export type Cut = 'upstream' | 'client';

/** Who ended a proxied WebSocket. */
export type ClosedBy = 'client' | 'upstream' | 'gateway';

/**
 * What the access log reads of an exchange: objects the request path holds anyway (the Node relay is
 * one), so the call makes none. Times are `performance.now()`.
 */
export interface ExchangeFacts {
  readonly scanned: ScannedRequest;
  readonly route: ResolvedRoute | undefined;
  readonly method: string;
  /** The request's path and query, or its whole URL (the query is cut when logged). */
  readonly target: string;
  /** When the request came. */
  readonly started: number;
  /** When it went to the upstream, and when the upstream's answer head came (-1: never). */
  readonly sent: number;
  readonly answered: number;
}

export interface AccessLog {
  /** Whether answers must be watched to their end (where that costs something: Deno and Bun bodies). */
  readonly enabled: boolean;
  /**
   * An exchange ended: `bytes` of answer body were sent; `code` is the gateway's error code; `cut` is set
   * when the answer did not end as it should. A WebSocket handshake that switched is one exchange with
   * status 101.
   */
  exchange(
    facts: ExchangeFacts,
    status: number,
    bytes: number,
    by: Answerer,
    code: string | undefined,
    cut: Cut | undefined,
  ): void;
  /** A proxied WebSocket closed, `opened` (`performance.now()`) after the switch: `all` only. */
  webSocketClosed(facts: ExchangeFacts, opened: number, closedBy: ClosedBy): void;
}

/** What an exchange whose client left before its answer is answered and counted as (nginx's 499): nobody reads it. */
export const CLIENT_LEFT: ProxyErrorAnswer = { status: 499, headers: {}, body: '' };

const nothing = () => {};
const OFF: AccessLog = { enabled: false, exchange: nothing, webSocketClosed: nothing };

/** Longest path logged (a path is client input; the head may hold 16 KiB). */
const PATH_LIMIT = 1024;

/** The path of a request target (`/p?q`, or a whole URL `http://h/p?q`), without its query, bounded. */
function pathOf(target: string): string {
  const start = target.charCodeAt(0) === 0x2f ? 0 : target.indexOf('/', target.indexOf('//') + 2);
  if (start === -1) return '/';
  const query = target.indexOf('?', start);
  const path = target.slice(start, query === -1 ? target.length : query);
  return path.length > PATH_LIMIT ? path.slice(0, PATH_LIMIT) : path;
}

/**
 * The client's address: behind a trusted Stage 1, the last `X-Forwarded-For` entry (the address Stage 1
 * saw); else the peer's.
 */
function clientOf(scanned: ScannedRequest): string {
  const list = scanned.forwardedFor;
  if (list === undefined) return scanned.peerAddress;
  return list
    .slice(list.lastIndexOf(',') + 1, list.length)
    .trim()
    .slice(0, 64);
}

/** Milliseconds between two `performance.now()` readings, to the microsecond. */
const ms = (from: number, to: number) => Math.round((to - from) * 1000) / 1000;

/**
 * `text` as a JSON string. Most values need no escaping (hostnames, ids, most paths): a scan for the
 * characters JSON escapes is cheaper than `JSON.stringify`, which is kept for the rest.
 */
function quoted(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** The members every line about a request starts with. */
function about({ scanned, route, target }: ExchangeFacts): string {
  const host = scanned.host === undefined ? 'null' : quoted(scanned.host.slice(0, 255));
  const where =
    route === undefined ? '' : `,"container":${quoted(route.containerId)},"service":${quoted(route.service)}`;
  // Request ids are well-formed by construction (no character JSON would escape); so are trace ids.
  return `"requestId":"${scanned.requestId}","traceId":"${traceIdOf(scanned.traceparent)}","client":${quoted(clientOf(scanned))},"host":${host}${where},"path":${quoted(pathOf(target))}`;
}

/** The access log for `mode`, writing through `log`. */
export function createAccessLog(mode: AccessLogMode, log: Logger): AccessLog {
  if (mode === 'off') return OFF;
  const errorsOnly = mode === 'errors';
  return {
    enabled: true,
    exchange(facts, status, bytes, by, code, cut) {
      if (errorsOnly && status < 400 && cut === undefined) return;
      const now = performance.now();
      const upstream = facts.answered < 0 ? '' : `,"upstreamMs":${ms(facts.sent, facts.answered)}`;
      const failure =
        (code === undefined ? '' : `,"code":"${code}"`) + (cut === undefined ? '' : `,"cut":"${cut}"`);
      log.line(
        'access',
        `${about(facts)},"method":${quoted(facts.method)},"status":${status},"bytes":${bytes},"durationMs":${ms(facts.started, now)}${upstream},"by":"${by}"${failure}`,
      );
    },
    webSocketClosed(facts, opened, closedBy) {
      if (errorsOnly) return;
      log.line(
        'websocket closed',
        `${about(facts)},"durationMs":${ms(opened, performance.now())},"closedBy":"${closedBy}"`,
      );
    },
  };
}
