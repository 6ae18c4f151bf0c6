/**
 * Node forwarding: undici `dispatch` with a raw handler (no intermediate objects) on a keep-alive pool
 * per upstream, streaming both ways with back-pressure; WebSockets in node-upgrade.ts. Everything
 * configurable was prepared at start; per request: one header pass, two Map lookups (route, session),
 * one dispatch, and a place in the answer-deadline list (answer-deadlines.ts: undici's own headers timer
 * is not used).
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../../shared/errors.ts';
import { plainAddress } from '../control/env.ts';
import type { ProxyParts } from '../gateway.ts';
import type { GatedRequest, Outcome } from '../proxy/gated.ts';
import { type ForwardContext, type ScannedRequest, scanRequestHeaders } from '../proxy/headers.ts';
import { errorAnswer, type ProxyErrorAnswer, wantsHtml } from '../proxy/pages.ts';
import { reportScan } from '../proxy/scan-report.ts';
import type { UpstreamPools } from '../proxy/upstreams.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { AnswerDeadlines } from './answer-deadlines.ts';
import { HandshakeSocket } from './handshake-socket.ts';
import type { Http1Request } from './http1/request.ts';
import type { Http1Response } from './http1/response.ts';
import { ResponseRelay } from './node-relay.ts';
import { UpgradeRelay } from './node-upgrade.ts';

export interface NodeProxyDeps extends ProxyParts {
  pools: UpstreamPools;
  /** UPSTREAM_HEADERS_TIMEOUT for forwarded requests and WebSocket handshakes. */
  answerDeadlines: AnswerDeadlines;
  trustedProxies: ReadonlySet<string>;
  /** UNDERSCORE_HEADERS=keep. */
  keepUnderscores: boolean;
  bodyTimeoutMs: number;
}

/** Maps an upstream failure to the error a person sees. */
export function upstreamErrorCode(err: Error & { code?: string }): ErrorCode {
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return ErrorCode.UpstreamRefused;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'ETIMEDOUT':
      return ErrorCode.UpstreamTimeout;
    default:
      return ErrorCode.UpstreamFailed;
  }
}

/** An error answer's header record as the flat list a response takes. */
function flatHeaders(record: ProxyErrorAnswer['headers']): string[] {
  const flat: string[] = [];
  for (const [name, value] of Object.entries(record))
    for (const v of Array.isArray(value) ? value : [value]) flat.push(name, v);
  return flat;
}

/** The headers to send upstream: the scanned ones, the client's cookies minus ours, the gateway's identity. */
function upstreamHeaders(
  scanned: ScannedRequest,
  outcome: { identityHeaders?: string[]; cookie?: string },
): string[] {
  const headers = scanned.headers;
  if (outcome.cookie) headers.push('cookie', outcome.cookie);
  if (outcome.identityHeaders) for (const h of outcome.identityHeaders) headers.push(h);
  return headers;
}

export function createNodeProxy(deps: NodeProxyDeps) {
  const { pools, answerDeadlines, metrics, activity, resolver } = deps;
  const forwardContext = (req: Http1Request): ForwardContext => {
    const clientAddress = plainAddress(req.remoteAddress);
    return {
      clientAddress,
      trustedPeer: deps.trustedProxies.has(clientAddress),
      keepUnderscores: deps.keepUnderscores,
    };
  };
  const gated = (req: Http1Request, scanned: ScannedRequest, upgrade: boolean): GatedRequest => ({
    host: scanned.host,
    method: req.method,
    url: req.url,
    cookie: scanned.cookie,
    secFetchMode: scanned.secFetchMode,
    accept: scanned.accept,
    upgrade,
  });
  const upstreamFailure = (err: Error & { code?: string }, route: ResolvedRoute, html: boolean) => {
    const code = upstreamErrorCode(err);
    metrics.upstreamError(code);
    return errorAnswer({ code, hostname: route.hostname, service: route.service }, html);
  };

  /** An upstream failed before its answer started: the error page (502/504) naming the service. */
  function relayFailed(relay: ResponseRelay, err: Error & { code?: string }): void {
    const { route, scanned, started } = relay.context as {
      route: ResolvedRoute;
      scanned: ScannedRequest;
      started: number;
    };
    send(
      relay.response,
      upstreamFailure(err, route, wantsHtml(scanned.secFetchMode, scanned.accept)),
      started,
    );
  }

  function send(res: Http1Response, answer: ProxyErrorAnswer, started: number): void {
    if (!res.headersSent) res.writeHead(answer.status, undefined, flatHeaders(answer.headers));
    res.end(answer.body);
    metrics.request(answer.status, (performance.now() - started) / 1000, 'gateway');
  }

  function forward(
    req: Http1Request,
    res: Http1Response,
    scanned: ScannedRequest,
    outcome: Extract<Outcome, { forward: unknown }>,
    started: number,
  ): void {
    const route = outcome.forward;
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    const relay = new ResponseRelay(res, metrics, answerDeadlines, started, relayFailed, {
      route,
      scanned,
      started,
    });
    pools.get(origin, Date.now()).dispatch(
      {
        origin,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(scanned, outcome),
        body: req.body,
        headersTimeout: 0, // answerDeadlines keeps it
        bodyTimeout: deps.bodyTimeoutMs,
      },
      relay as never,
    );
  }

  /** The public listener's handler for `uc-*` hosts. */
  function handleRequest(req: Http1Request, res: Http1Response): void {
    const started = performance.now();
    const scanned = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    if (scanned.dropped !== undefined || scanned.upgrade) reportScan(deps.security, scanned, true);
    if (scanned.ambiguous) {
      res.keepAlive = false;
      send(res, errorAnswer({ code: ErrorCode.BadRequest }, false), started);
      return;
    }
    const outcome = resolver.resolve(gated(req, scanned, false));
    if (outcome instanceof Promise) outcome.then((o) => act(req, res, scanned, o, started));
    else act(req, res, scanned, outcome, started);
  }

  function act(
    req: Http1Request,
    res: Http1Response,
    scanned: ScannedRequest,
    outcome: Outcome,
    started: number,
  ): void {
    if ('forward' in outcome) forward(req, res, scanned, outcome, started);
    else send(res, outcome.answer, started);
  }

  /** Dispatches a WebSocket handshake; its answer, when not a switch, goes the `ResponseRelay` way. */
  function relayHandshake(
    req: Http1Request,
    handshake: HandshakeSocket,
    scanned: ScannedRequest,
    outcome: Extract<Outcome, { forward: unknown }>,
    started: number,
  ): void {
    const route = outcome.forward;
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    const context = { route, scanned, started };
    const relay = new UpgradeRelay(handshake, deps, route, outcome.expiresAt, started, relayFailed, context);
    pools.get(origin, Date.now()).dispatch(
      {
        origin,
        method: 'GET',
        path: req.url,
        headers: upstreamHeaders(scanned, outcome),
        upgrade: 'websocket',
        headersTimeout: 0, // answerDeadlines keeps it
        bodyTimeout: deps.bodyTimeoutMs,
      },
      relay as never,
    );
  }

  /** The public listener's `upgrade` handler for `uc-*` hosts (WebSocket handshakes only). */
  function handleUpgrade(req: Http1Request, socket: Socket, head: Buffer): void {
    const started = performance.now();
    const handshake = new HandshakeSocket(socket, head, req.minor === 0);
    const scanned = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    if (scanned.dropped !== undefined) reportScan(deps.security, scanned, false);
    if (scanned.ambiguous || req.method !== 'GET') {
      send(handshake.response(), errorAnswer({ code: ErrorCode.BadRequest }, false), started);
      return;
    }
    const act = (o: Outcome) => {
      if (handshake.gone) return; // the client left while the route or session was being read
      if ('forward' in o) relayHandshake(req, handshake, scanned, o, started);
      else send(handshake.response(), o.answer, started);
    };
    const outcome = resolver.resolve(gated(req, scanned, true));
    if (outcome instanceof Promise) outcome.then(act);
    else act(outcome);
  }

  /** Answers a WebSocket handshake for a host that has none (the gateway's own): 404, then the close. */
  function refuseUpgrade(req: Http1Request, socket: Socket, head: Buffer): void {
    const handshake = new HandshakeSocket(socket, head, req.minor === 0);
    send(handshake.response(), errorAnswer({ code: ErrorCode.NoRoute }, false), performance.now());
  }

  return { handleRequest, handleUpgrade, refuseUpgrade };
}
