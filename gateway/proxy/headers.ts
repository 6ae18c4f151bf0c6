/**
 * Header hygiene for forwarding requests, on flat `[name, value, name, value, ...]` lists (Node's
 * rawHeaders and undici's header arrays), so no per-request objects are built: hop-by-hop headers and those named in
 * `Connection` are dropped, and so is every name only the gateway may set (`reserved-headers.ts`), in
 * any spelling; `X-Forwarded-*` and `X-Real-IP` are set; `Host` is kept. The request's id and trace
 * context are read in the same pass (`X-Request-Id` is the gateway's to set, `traceparent` passes when
 * valid). Answers: `response-headers.ts`.
 */

import { isValidTraceparent, isWellFormedRequestId, type RequestIds } from './request-ids.ts';
import { canonicalName, classifyHeader, HeaderClass } from './reserved-headers.ts';

export interface ForwardContext {
  /** The peer address of the client connection. */
  clientAddress: string;
  /** Whether that peer is a trusted Stage 1 proxy (its forwarding headers are kept, X-Forwarded-For extended). */
  trustedPeer: boolean;
  /** UNDERSCORE_HEADERS=keep: names with `_` are forwarded unless they spell a reserved one. */
  keepUnderscores: boolean;
  /** Makes request ids and `traceparent` values for requests that bring none to keep. */
  ids: RequestIds;
}

export interface ScannedRequest {
  /** Headers to send upstream (flat list). */
  headers: string[];
  /** The Host header value ('' if absent); undefined when more than one was sent. */
  host: string | undefined;
  /** Both Content-Length and Transfer-Encoding, several Content-Lengths, or a non-chunked Transfer-Encoding. */
  ambiguous: boolean;
  /** Whether a request body follows (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /** For error pages: navigation or script? */
  secFetchMode: string | undefined;
  accept: string | undefined;
  /** The Cookie header(s), not yet in `headers`. */
  cookie: string | undefined;
  /** Names (lowercase) of identity headers or names with `_` that were dropped: worth a security log line. */
  dropped: string[] | undefined;
  /** An `Upgrade` header was sent (and, on a plain request, dropped). */
  upgrade: boolean;
  /** The request's id: a trusted peer's well-formed `X-Request-Id`, else a new one (sent to the app as such). */
  requestId: string;
  /** The `traceparent` sent to the app: the client's when valid, else a new one. */
  traceparent: string;
  /** The connection's peer address. */
  peerAddress: string;
  /** A trusted peer's `X-Forwarded-For` as it came (the access log's client is its last entry). */
  forwardedFor: string | undefined;
}

/** Headers a `Connection` listing may never remove: the gateway's own and the body's framing. */
const NOT_CONNECTION_NAMED: ReadonlySet<string> = new Set(['host', 'content-length', 'cookie']);

/** Tokens of a Connection header that name further headers to drop (rarely any), or undefined. */
export function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  let tokens: Set<string> | undefined;
  for (const t of value.split(',')) {
    const token = t.trim().toLowerCase();
    if (token && token !== 'keep-alive' && token !== 'close' && token !== 'upgrade') {
      tokens ??= new Set();
      tokens.add(token);
    }
  }
  return tokens;
}

/** Drops, from a built flat list, the headers a Connection header named (a rare second pass). */
export function dropNamed(headers: string[], named: Set<string> | undefined): string[] {
  if (named === undefined) return headers;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    if (!named.has(name) || NOT_CONNECTION_NAMED.has(name))
      kept.push(headers[i] as string, headers[i + 1] as string);
  }
  return kept;
}

/**
 * Whether a name with `_` may pass when UNDERSCORE_HEADERS keeps such names: not when, read with `-`,
 * it is reserved, hop-by-hop, or one the gateway reads itself (Host, Cookie, framing).
 */
function underscoreNameAllowed(lower: string): boolean {
  const canonical = canonicalName(lower);
  return classifyHeader(canonical) === HeaderClass.Forward && !SCANNED_NAMES.has(canonical);
}

/** Names the scan reads itself (the switch below). */
const SCANNED_NAMES: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'cookie',
  'connection',
  'sec-fetch-mode',
  'accept',
  'x-request-id',
  'traceparent',
  'tracestate',
]);

/** `list` with `name` added (a list is made only for the rare request that has something to note). */
function noted(list: string[] | undefined, name: string): string[] {
  if (list === undefined) return [name];
  list.push(name);
  return list;
}

/** One pass over a request's raw headers: what to forward, and what the proxy needs to decide. */
export function scanRequestHeaders(raw: string[], ctx: ForwardContext): ScannedRequest {
  let headers: string[] = [];
  let connection: string | undefined;
  let host: string | undefined = '';
  let hosts = 0;
  let contentLengths = 0;
  let transferEncoding: string | undefined;
  let xff: string | undefined;
  let proto: string | undefined;
  let secFetchMode: string | undefined;
  let accept: string | undefined;
  let cookie: string | undefined;
  let dropped: string[] | undefined;
  let upgrade = false;
  let hasBody = false;
  let sentId: string | undefined;
  let sentIds = 0;
  let traceparent: string | undefined;
  let traceparents = 0;
  let tracestate: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    switch (name) {
      case 'host':
        hosts++;
        host = value;
        headers.push('host', value);
        continue;
      case 'content-length':
        contentLengths++;
        if (value !== '0') hasBody = true;
        break;
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        continue;
      case 'x-forwarded-for':
        // A trusted Stage 1's list is extended, as every proxy in a chain does; anyone else's is replaced.
        if (ctx.trustedPeer) xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (ctx.trustedPeer) proto = value;
        continue;
      case 'sec-fetch-mode':
        secFetchMode = value;
        break;
      case 'accept':
        accept = value;
        break;
      case 'cookie':
        // Held back: the access gate forwards it without the gateway's own cookies.
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        continue;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'x-request-id':
        // The gateway's to set: only a trusted peer's is kept (below), and never two.
        if (ctx.trustedPeer) sentId = value;
        sentIds++;
        continue;
      case 'traceparent':
        traceparent = value;
        traceparents++;
        continue;
      case 'tracestate':
        tracestate = tracestate === undefined ? value : `${tracestate},${value}`;
        continue;
    }
    if (name.includes('_')) {
      if (!ctx.keepUnderscores || !underscoreNameAllowed(name)) {
        dropped = noted(dropped, name);
        continue;
      }
    } else {
      switch (classifyHeader(name)) {
        case HeaderClass.Hop:
          if (name === 'upgrade') upgrade = true;
          continue;
        case HeaderClass.Identity:
          dropped = noted(dropped, name);
          continue;
        case HeaderClass.Forwarding:
          if (!ctx.trustedPeer || GATEWAY_SET.has(name)) continue;
          break;
      }
    }
    headers.push(name, value);
  }
  headers = dropNamed(headers, connectionTokens(connection));
  if (hosts > 1) host = undefined;
  if (transferEncoding !== undefined) hasBody = true;
  const ambiguous =
    contentLengths > 1 ||
    (transferEncoding !== undefined &&
      (contentLengths > 0 || transferEncoding.trim().toLowerCase() !== 'chunked'));
  headers.push(
    'x-forwarded-for',
    xff === undefined ? ctx.clientAddress : `${xff}, ${ctx.clientAddress}`,
    'x-forwarded-proto',
    proto ?? 'http',
    'x-forwarded-host',
    host ?? '',
    'x-real-ip',
    ctx.clientAddress,
  );
  const keepId = sentId !== undefined && sentIds === 1 && isWellFormedRequestId(sentId);
  const requestId = keepId ? (sentId as string) : ctx.ids.requestId();
  // A trace context is passed on unchanged when valid; else the gateway starts one (whose trace id is
  // the request's id when the gateway made that too), and a `tracestate` without a valid parent is
  // dropped with it (W3C Trace Context, 3.3).
  const keepTrace = traceparent !== undefined && traceparents === 1 && isValidTraceparent(traceparent);
  const sentTraceparent = keepTrace
    ? (traceparent as string)
    : ctx.ids.traceparent(keepId ? undefined : requestId);
  headers.push('x-request-id', requestId, 'traceparent', sentTraceparent);
  if (keepTrace && tracestate !== undefined) headers.push('tracestate', tracestate);
  return {
    headers,
    host,
    ambiguous,
    hasBody,
    secFetchMode,
    accept,
    cookie,
    dropped,
    upgrade,
    requestId,
    traceparent: sentTraceparent,
    peerAddress: ctx.clientAddress,
    forwardedFor: xff,
  };
}

/** Forwarding headers the gateway always sets itself, whoever the peer. */
const GATEWAY_SET: ReadonlySet<string> = new Set(['x-forwarded-host', 'x-real-ip', 'forwarded']);
