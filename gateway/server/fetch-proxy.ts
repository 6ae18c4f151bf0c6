/**
 * Web-standard forwarding for the Deno and Bun adapters: a Request in, the upstream's Response out. Bodies
 * are ReadableStreams handed through in both directions (never read here), so uploads, downloads, SSE and
 * long polls stream without buffering. The runtime's `fetch` is passed in, configured by the adapter to be
 * a transparent pipe (Host kept, compressed bodies not decoded where the runtime allows it).
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ProxyParts } from '../gateway.ts';
import type { Decision } from '../proxy/decide.ts';
import {
  type ForwardContext,
  filterResponseHeaders,
  type ScannedRequest,
  scanRequestHeaders,
} from '../proxy/headers.ts';
import { errorAnswer, headerPairs, type ProxyErrorInfo, wantsHtml } from '../proxy/pages.ts';
import type { ResolvedRoute } from '../store/store.ts';

/** `RequestInit` plus `duplex`, which streaming request bodies need (not in TypeScript's DOM lib yet). */
export interface UpstreamInit extends RequestInit {
  duplex: 'half';
}

/** The runtime's `fetch`, with the runtime's own options for forwarding already applied. */
export type UpstreamFetch = (url: string, init: UpstreamInit) => Promise<Response>;

export interface FetchProxyDeps extends ProxyParts {
  fetchUpstream: UpstreamFetch;
  trustedProxies: ReadonlySet<string>;
  /** Deadline for the upstream's response headers, counted from the end of the request (covers connect). */
  headersTimeoutMs: number;
  /**
   * Whether the runtime's fetch decodes compressed bodies whatever it is told (Deno): then the upstream is
   * asked for `identity`, and an encoded answer sent anyway loses its encoding headers with its encoding.
   */
  fetchDecodes: boolean;
  /** Extra request headers clients may not send (identity headers); lowercase. */
  strippedHeaders?: ReadonlySet<string>;
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

/** Encodings Deno's fetch decodes on its own (it keeps the headers that announce them). */
const DECODED_BY_RUNTIME: ReadonlySet<string> = new Set(['gzip', 'x-gzip', 'br', 'deflate', 'zstd']);

const TIMED_OUT = Symbol('upstream headers timeout');

/** Builds the forwarding handler for `uc-*` requests that are not WebSocket upgrades. */
export function createFetchProxy(deps: FetchProxyDeps) {
  const { decider, metrics, activity, fetchUpstream, headersTimeoutMs, fetchDecodes } = deps;

  const context = (clientAddress: string): ForwardContext => ({
    clientAddress,
    trustedPeer: deps.trustedProxies.has(clientAddress),
    stripped: deps.strippedHeaders,
  });

  function fail(info: ProxyErrorInfo, scanned: ScannedRequest | undefined, started: number): Response {
    const answer = errorAnswer(info, wantsHtml(scanned?.secFetchMode, scanned?.accept));
    metrics.request(answer.status, (performance.now() - started) / 1000);
    return new Response(answer.body, { status: answer.status, headers: headerPairs(answer.headers) });
  }

  function responseHeaders(upstream: Response): Headers {
    const raw: string[] = [];
    upstream.headers.forEach((value, name) => {
      if (name === 'set-cookie') return; // joined by forEach; appended one by one below
      raw.push(name, value);
    });
    for (const cookie of upstream.headers.getSetCookie()) raw.push('set-cookie', cookie);
    const kept = filterResponseHeaders(raw);
    const headers = new Headers();
    const encoding = fetchDecodes ? upstream.headers.get('content-encoding') : null;
    const decoded = encoding !== null && DECODED_BY_RUNTIME.has(encoding.trim().toLowerCase());
    for (let i = 0; i < kept.length; i += 2) {
      const name = kept[i] as string;
      if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
      headers.append(name, kept[i + 1] as string);
    }
    return headers;
  }

  async function forward(
    request: Request,
    scanned: ScannedRequest,
    route: ResolvedRoute,
    started: number,
  ): Promise<Response> {
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    const deadline = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer = setTimeout(() => deadline.abort(TIMED_OUT), headersTimeoutMs);
    };
    let body: ReadableStream<Uint8Array> | null = null;
    if (scanned.hasBody && request.body && request.method !== 'GET' && request.method !== 'HEAD') {
      // The headers deadline starts once the upload is complete: a long upload is not a slow upstream.
      body = request.body.pipeThrough(new TransformStream({ flush: arm }));
    } else arm();
    const headers = scanned.headers;
    const init: [string, string][] = [];
    let acceptEncoding = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name === 'accept-encoding') {
        if (fetchDecodes) continue;
        acceptEncoding = true;
      }
      init.push([name, headers[i + 1] as string]);
    }
    // fetch would otherwise offer the runtime's own encodings: a client that asked for none gets none.
    if (!acceptEncoding) init.push(['accept-encoding', 'identity']);
    try {
      const upstream = await fetchUpstream(`${origin}${pathOf(request.url)}`, {
        method: request.method,
        headers: init,
        body,
        duplex: 'half',
        redirect: 'manual',
        // The client going away cancels the exchange, as does the deadline.
        signal: AbortSignal.any([deadline.signal, request.signal]),
      });
      clearTimeout(timer);
      const response = new Response(upstream.body, {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: responseHeaders(upstream),
      });
      // Time to response headers: the body is handed through untouched, so its end is not observed.
      metrics.request(upstream.status, (performance.now() - started) / 1000);
      return response;
    } catch (err) {
      clearTimeout(timer);
      const code = deadline.signal.aborted ? ErrorCode.UpstreamTimeout : fetchErrorCode(err);
      if (!request.signal.aborted) metrics.upstreamError(origin, code);
      return fail({ code, hostname: route.hostname, service: route.service }, scanned, started);
    }
  }

  /** Scans and decides; the caller forwards a `forward` decision (HTTP or WebSocket). */
  function prepare(
    request: Request,
    clientAddress: string,
  ): { scanned: ScannedRequest; decision: Decision | Promise<Decision> } {
    const scanned = scanRequestHeaders(flatHeaders(request.headers), context(clientAddress));
    if (scanned.ambiguous) return { scanned, decision: { error: { code: ErrorCode.BadRequest } } };
    return { scanned, decision: decider.decide(scanned.host) };
  }

  /** The public listener's handler for `uc-*` hosts. */
  function handleRequest(request: Request, clientAddress: string): Response | Promise<Response> {
    const started = performance.now();
    const { scanned, decision } = prepare(request, clientAddress);
    const act = (d: Decision) =>
      'forward' in d ? forward(request, scanned, d.forward, started) : fail(d.error, scanned, started);
    return decision instanceof Promise ? decision.then(act) : act(decision);
  }

  return { handleRequest, prepare, fail };
}

export type FetchProxy = ReturnType<typeof createFetchProxy>;

/** Whether a Host header names a container (`uc-...`): those go to the proxy, the rest to the control app. */
export function isContainerHost(host: string | null): boolean {
  return (
    host !== null &&
    host.length > 3 &&
    (host.charCodeAt(0) | 0x20) === 0x75 &&
    (host.charCodeAt(1) | 0x20) === 0x63 &&
    host.charCodeAt(2) === 0x2d
  );
}

/** Whether a Request asks for a WebSocket. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket';
}
