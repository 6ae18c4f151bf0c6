/**
 * Web-standard forwarding for the Deno and Bun adapters: a Request in, the upstream's Response out. Bodies
 * are ReadableStreams handed through in both directions (never read here), so uploads, downloads, SSE and
 * long polls stream without buffering. The runtime's `fetch` is passed in, configured by the adapter to be
 * a transparent pipe (Host kept, compressed bodies not decoded where the runtime allows it).
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ProxyParts } from '../gateway.ts';
import { CLIENT_LEFT, type Cut } from '../proxy/access-log.ts';
import type { Outcome } from '../proxy/gated.ts';
import { type ForwardContext, type ScannedRequest, scanRequestHeaders } from '../proxy/headers.ts';
import { errorAnswer, headerPairs, type ProxyErrorAnswer, wantsHtml } from '../proxy/pages.ts';
import { filterResponseHeaders } from '../proxy/response-headers.ts';
import { reportAmbiguous, reportScan } from '../proxy/scan-report.ts';
import type { ResolvedRoute } from '../store/store.ts';
import { GET_BODY_REFUSED } from './edge-check.ts';
import { answerBodies } from './watched-body.ts';

/** `RequestInit` plus `duplex`, which streaming request bodies need (not in TypeScript's DOM lib yet). */
export interface UpstreamInit extends RequestInit {
  duplex: 'half';
}

/** The runtime's `fetch`, with the runtime's own options for forwarding already applied. */
export type UpstreamFetch = (url: string, init: UpstreamInit) => Promise<Response>;

export interface FetchProxyDeps extends ProxyParts {
  fetchUpstream: UpstreamFetch;
  trustedProxies: ReadonlySet<string>;
  /** UNDERSCORE_HEADERS=keep. */
  keepUnderscores: boolean;
  /** Deadline for the upstream's response headers, counted from the end of the request (covers connect). */
  headersTimeoutMs: number;
  /**
   * Whether the runtime's fetch decodes compressed answers unless the request asks for `identity` (Deno,
   * with no switch to turn it off): then the upstream is always asked for `identity`, and whatever it
   * sends anyway passes through untouched.
   */
  fetchDecodes: boolean;
  /**
   * Resolves false when the client is gone before anything was sent upstream (Bun: a request pipelined
   * behind this one made Bun.serve close the connection, see `bun-pipelining.ts`); nothing is forwarded.
   */
  clientStays?: (request: Request) => Promise<boolean>;
}

/** A decision to forward, with what the access gate adds (the client's cookies minus ours, identity). */
export type Forward = Extract<Outcome, { forward: unknown }>;

/** What the access log says of an answer the gateway gave itself: its error code, route, and a cut. */
export interface Answered {
  code?: string;
  route?: ResolvedRoute;
  cut?: Cut;
}

/** The Request's headers as a flat list for `scanRequestHeaders`. */
export function flatHeaders(headers: Headers): string[] {
  const raw: string[] = [];
  headers.forEach((value, name) => {
    // A web Headers object joins repeated fields with ", "; split the two whose repetition is an attack
    // (several Content-Lengths, several Hosts) so the scan sees each one.
    if ((name === 'content-length' || name === 'host') && value.includes(',')) {
      for (const part of value.split(',')) raw.push(name, part.trim());
    } else raw.push(name, value);
  });
  return raw;
}

/** Path and query of a Request URL (`http://host/p?q` -> `/p?q`), as the client sent them. */
export function pathOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? '/' : url.slice(slash);
}

/** Maps a failed fetch to the error a person sees: refused -> 502, anything else -> 502 "failed". */
export function fetchErrorCode(err: unknown): ErrorCode {
  const e = err as { code?: unknown; cause?: unknown } | null;
  // Bun sets a code; Deno only says it in the cause's text ("tcp connect error: Connection refused").
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ConnectionRefused') return ErrorCode.UpstreamRefused;
  if (/connection refused|unreachable/i.test(String(e?.cause ?? ''))) return ErrorCode.UpstreamRefused;
  return ErrorCode.UpstreamFailed;
}

const TIMED_OUT = Symbol('upstream headers timeout');

/** Builds the forwarding handler for `uc-*` requests that are not WebSocket upgrades. */
export function createFetchProxy(deps: FetchProxyDeps) {
  const { resolver, metrics, activity, fetchUpstream, headersTimeoutMs, fetchDecodes, accessLog } = deps;
  const relayBody = answerBodies(accessLog, deps.upstreamFailures);

  const context = (clientAddress: string): ForwardContext => ({
    clientAddress,
    trustedPeer: deps.trustedProxies.has(clientAddress),
    keepUnderscores: deps.keepUnderscores,
    ids: deps.ids,
  });

  /**
   * An answer the gateway gives itself (error page, sign-in redirect), counted and logged like any
   * other, with the request's id.
   */
  function answer(
    given: ProxyErrorAnswer,
    started: number,
    request: Request,
    scanned: ScannedRequest,
    answered?: Answered,
    closeConnection = false,
  ): Response {
    metrics.request(given.status, (performance.now() - started) / 1000, 'gateway');
    const headers = headerPairs(given.headers);
    headers.push(['x-request-id', scanned.requestId]);
    // After an ambiguous request nothing more should be read from that connection (Bun honours this;
    // Deno keeps its own framing, which is the one that counts since nothing was forwarded).
    if (closeConnection) headers.push(['connection', 'close']);
    const { method, url: target } = request;
    const facts = { scanned, route: answered?.route, method, target, started, sent: -1, answered: -1 };
    const bytes = method === 'HEAD' || answered?.cut ? 0 : new TextEncoder().encode(given.body).length;
    accessLog.exchange(facts, given.status, bytes, 'gateway', answered?.code, answered?.cut);
    return new Response(given.body, { status: given.status, headers });
  }

  /** The answer for an upstream that failed before its response headers (`closeConnection`: after it, too). */
  function upstreamFailure(
    code: ErrorCode,
    route: ResolvedRoute,
    request: Request,
    scanned: ScannedRequest,
    started: number,
    closeConnection = false,
  ): Response {
    metrics.upstreamError(code);
    deps.upstreamFailures.failed(scanned, route, code, false);
    const html = wantsHtml(scanned.secFetchMode, scanned.accept);
    const info = { code, hostname: route.hostname, service: route.service };
    return answer(errorAnswer(info, html), started, request, scanned, { code, route }, closeConnection);
  }

  function responseHeaders(upstream: Response, requestId: string): Headers {
    const raw: string[] = [];
    upstream.headers.forEach((value, name) => {
      if (name === 'set-cookie') return; // joined by forEach; appended one by one below
      raw.push(name, value);
    });
    for (const cookie of upstream.headers.getSetCookie()) raw.push('set-cookie', cookie);
    const kept = filterResponseHeaders(raw, requestId);
    const headers = new Headers();
    for (let i = 0; i < kept.length; i += 2) headers.append(kept[i] as string, kept[i + 1] as string);
    return headers;
  }

  /**
   * The headers to send upstream as fetch takes them: the scanned ones, the client's cookies minus ours,
   * the gateway's identity headers, and the encodings the client accepts made explicit.
   */
  function upstreamHeaders(scanned: ScannedRequest, outcome: Forward): [string, string][] {
    const flat = scanned.headers;
    const out: [string, string][] = [];
    let acceptEncoding = false;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i] as string;
      if (name === 'accept-encoding') {
        if (fetchDecodes) continue;
        acceptEncoding = true;
      }
      out.push([name, flat[i + 1] as string]);
    }
    // fetch would otherwise offer the runtime's own encodings (and Deno would decode what it offered):
    // a client that asked for none gets none.
    if (!acceptEncoding) out.push(['accept-encoding', 'identity']);
    if (outcome.cookie) out.push(['cookie', outcome.cookie]);
    const identity = outcome.identityHeaders;
    if (identity)
      for (let i = 0; i < identity.length; i += 2)
        out.push([identity[i] as string, identity[i + 1] as string]);
    return out;
  }

  async function forward(
    request: Request,
    scanned: ScannedRequest,
    outcome: Forward,
    started: number,
  ): Promise<Response> {
    const route = outcome.forward;
    // fetch cannot send a body on GET or HEAD: dropping it would forward another request (issue 20).
    if (scanned.hasBody && (request.method === 'GET' || request.method === 'HEAD'))
      return answer(GET_BODY_REFUSED, started, request, scanned, { code: ErrorCode.BadRequest, route }, true);
    if (deps.clientStays && !(await deps.clientStays(request)))
      return answer(CLIENT_LEFT, started, request, scanned, { route, cut: 'client' });
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    const deadline = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let answered = false;
    const arm = () => {
      if (!answered) timer = setTimeout(() => deadline.abort(TIMED_OUT), headersTimeoutMs);
    };
    let body: ReadableStream<Uint8Array> | null = null;
    if (scanned.hasBody && request.body) {
      // The headers deadline starts once the upload is complete: a long upload is not a slow upstream.
      body = request.body.pipeThrough(new TransformStream({ flush: arm }));
    } else arm();
    const sent = performance.now();
    let upstream: Response;
    try {
      upstream = await fetchUpstream(`${origin}${pathOf(request.url)}`, {
        method: request.method,
        headers: upstreamHeaders(scanned, outcome),
        body,
        duplex: 'half',
        redirect: 'manual',
        // The client going away cancels the exchange, as does the deadline.
        signal: AbortSignal.any([deadline.signal, request.signal]),
      });
    } catch (err) {
      const code = deadline.signal.aborted ? ErrorCode.UpstreamTimeout : fetchErrorCode(err);
      if (request.signal.aborted)
        return answer(CLIENT_LEFT, started, request, scanned, { route, cut: 'client' });
      return upstreamFailure(code, route, request, scanned, started);
    } finally {
      answered = true;
      clearTimeout(timer);
    }
    const headed = performance.now();
    // Bun labels a fetched body without Content-Type as application/octet-stream when it is handed on
    // as is (browsers would download instead of sniff); a plain stream in between keeps it unlabelled.
    const relayed =
      upstream.body && !upstream.headers.has('content-type')
        ? upstream.body.pipeThrough(new TransformStream())
        : upstream.body;
    let response: Response;
    try {
      response = new Response(
        relayBody(relayed, request, scanned, route, upstream.status, started, sent, headed),
        {
          status: upstream.status,
          statusText: upstream.statusText,
          headers: responseHeaders(upstream, scanned.requestId),
        },
      );
    } catch {
      // A status or header the web Response refuses (e.g. a body on a 204): the answer cannot be relayed.
      void relayed?.cancel().catch(() => {});
      return upstreamFailure(ErrorCode.UpstreamFailed, route, request, scanned, started);
    }
    // Time to response headers: the body is handed through untouched, so its end is not observed.
    const seconds = (headed - started) / 1000;
    metrics.upstreamAnswered(seconds);
    metrics.request(upstream.status, seconds, 'app');
    return response;
  }

  /** Scans, then resolves (route, access, liveness); the caller acts on the outcome (HTTP or WebSocket). */
  function prepare(
    request: Request,
    clientAddress: string,
    upgrade: boolean,
  ): { scanned: ScannedRequest; outcome: Outcome | Promise<Outcome> } {
    const scanned = scanRequestHeaders(flatHeaders(request.headers), context(clientAddress));
    if (scanned.dropped !== undefined || (scanned.upgrade && !upgrade))
      reportScan(deps.security, scanned, !upgrade);
    if (scanned.ambiguous) {
      reportAmbiguous(deps.security, scanned);
      const answer = errorAnswer({ code: ErrorCode.BadRequest }, false);
      return { scanned, outcome: { answer, code: ErrorCode.BadRequest } };
    }
    const outcome = resolver.resolve({
      host: scanned.host,
      method: request.method,
      url: pathOf(request.url),
      cookie: scanned.cookie,
      secFetchMode: scanned.secFetchMode,
      accept: scanned.accept,
      upgrade,
    });
    return { scanned, outcome };
  }

  /** The public listener's handler for `uc-*` hosts. */
  function handleRequest(request: Request, clientAddress: string): Response | Promise<Response> {
    const started = performance.now();
    const { scanned, outcome } = prepare(request, clientAddress, false);
    const act = (o: Outcome) =>
      'forward' in o
        ? forward(request, scanned, o, started)
        : answer(o.answer, started, request, scanned, o, scanned.ambiguous);
    return outcome instanceof Promise ? outcome.then(act) : act(outcome);
  }

  return { handleRequest, prepare, answer, upstreamFailure };
}

export type FetchProxy = ReturnType<typeof createFetchProxy>;
