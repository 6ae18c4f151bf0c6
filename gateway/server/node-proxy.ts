/**
 * Node forwarding: undici `dispatch` with a raw handler (no intermediate objects) on a keep-alive pool
 * per upstream, streaming both ways with back-pressure. WebSocket handshakes go on connections of
 * their own (upstream-handshake.ts), their relay in node-upgrade.ts. Everything configurable was
 * prepared at start; per request: one header pass, two Map lookups (route, session), one dispatch, and
 * a place in the answer-deadline list (answer-deadlines.ts: undici's own headers timer is not used).
 */
import type { OnReadOpts, Socket } from 'node:net';
import { ErrorCode } from '../../shared/errors.ts';
import { plainAddress } from '../control/env.ts';
import type { ProxyParts } from '../gateway.ts';
import { CLIENT_LEFT } from '../proxy/access-log.ts';
import type { GatedRequest, Outcome } from '../proxy/gated.ts';
import { type ForwardContext, type ScannedRequest, scanRequestHeaders } from '../proxy/headers.ts';
import { errorAnswer, type ProxyErrorAnswer, wantsHtml } from '../proxy/pages.ts';
import { reportAmbiguous, reportScan } from '../proxy/scan-report.ts';
import type { UpstreamPools } from '../proxy/upstreams.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { AnswerDeadlines } from './answer-deadlines.ts';
import { HandshakeSocket } from './handshake-socket.ts';
import type { Http1Request } from './http1/request.ts';
import type { Http1Response } from './http1/response.ts';
import { ResponseRelay } from './node-relay.ts';
import { UpgradeRelay } from './node-upgrade.ts';
import { upstreamErrorCode } from './upstream-error-code.ts';
import { sendHandshake } from './upstream-handshake.ts';

export interface NodeProxyDeps extends ProxyParts {
  pools: UpstreamPools;
  /** UPSTREAM_HEADERS_TIMEOUT for forwarded requests and WebSocket handshakes. */
  answerDeadlines: AnswerDeadlines;
  trustedProxies: ReadonlySet<string>;
  /** UNDERSCORE_HEADERS=keep. */
  keepUnderscores: boolean;
  bodyTimeoutMs: number;
  /** UPSTREAM_CONNECT_TIMEOUT, for WebSocket handshakes (their own connections, not the pools'). */
  connectTimeoutMs: number;
  /** How handshake connections read (`SharedReads.streamed`). */
  reads: OnReadOpts;
}

/** What the access log says of a request refused for its framing. */
const BAD_REQUEST = { code: ErrorCode.BadRequest };

/** The body bytes of a gateway answer as sent (none for HEAD). */
const bodyBytes = (answer: ProxyErrorAnswer, method: string) =>
  method === 'HEAD' ? 0 : Buffer.byteLength(answer.body);

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
  const { pools, metrics, activity, resolver, accessLog } = deps;
  const forwardContext = (req: Http1Request): ForwardContext => {
    const clientAddress = plainAddress(req.remoteAddress);
    return {
      clientAddress,
      trustedPeer: deps.trustedProxies.has(clientAddress),
      keepUnderscores: deps.keepUnderscores,
      ids: deps.ids,
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

  /** An upstream failed before its answer started: the error page (502/504) naming the service. */
  function relayFailed(relay: ResponseRelay, err: Error & { code?: string }): void {
    const { route, scanned } = relay;
    if (relay.clientGone) {
      // Cancelled because the client left: not the upstream's failure, and nobody to answer.
      write(relay.response, CLIENT_LEFT, relay.started, scanned.requestId);
      accessLog.exchange(relay, 499, 0, 'gateway', undefined, 'client');
      return;
    }
    const code = upstreamErrorCode(err);
    metrics.upstreamError(code);
    deps.upstreamFailures.failed(scanned, route, code, false);
    const info = { code, hostname: route.hostname, service: route.service };
    const answer = errorAnswer(info, wantsHtml(scanned.secFetchMode, scanned.accept));
    write(relay.response, answer, relay.started, scanned.requestId);
    accessLog.exchange(relay, answer.status, bodyBytes(answer, relay.method), 'gateway', code, undefined);
  }

  /** Writes an answer of the gateway's own, with the request's id, and counts it. */
  function write(res: Http1Response, answer: ProxyErrorAnswer, started: number, requestId: string): void {
    if (!res.headersSent) {
      const headers = flatHeaders(answer.headers);
      headers.push('x-request-id', requestId);
      res.writeHead(answer.status, undefined, headers);
    }
    res.end(answer.body);
    metrics.request(answer.status, (performance.now() - started) / 1000, 'gateway');
  }

  /** `write`, and the access log line of an exchange the gateway answered itself. */
  function send(
    res: Http1Response,
    answer: ProxyErrorAnswer,
    started: number,
    req: Http1Request,
    scanned: ScannedRequest,
    outcome: { code?: string; route?: ResolvedRoute },
  ): void {
    write(res, answer, started, scanned.requestId);
    const facts = {
      scanned,
      route: outcome.route,
      method: req.method,
      target: req.url,
      started,
      sent: -1,
      answered: -1,
    };
    accessLog.exchange(
      facts,
      answer.status,
      bodyBytes(answer, req.method),
      'gateway',
      outcome.code,
      undefined,
    );
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
    const relay = new ResponseRelay(res, deps, relayFailed, scanned, route, req.method, req.url, started);
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
      reportAmbiguous(deps.security, scanned);
      res.keepAlive = false;
      send(res, errorAnswer({ code: ErrorCode.BadRequest }, false), started, req, scanned, BAD_REQUEST);
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
    else send(res, outcome.answer, started, req, scanned, outcome);
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
    const { expiresAt } = outcome;
    const relay = new UpgradeRelay(handshake, deps, expiresAt, relayFailed, scanned, route, req.url, started);
    sendHandshake(
      {
        host: route.upstream,
        port: route.port,
        path: req.url,
        headers: upstreamHeaders(scanned, outcome),
        connectTimeoutMs: deps.connectTimeoutMs,
        bodyTimeoutMs: deps.bodyTimeoutMs, // the answer head's deadline is answerDeadlines'
        reads: deps.reads,
      },
      relay,
    );
  }

  /** The public listener's `upgrade` handler for `uc-*` hosts (WebSocket handshakes only). */
  function handleUpgrade(req: Http1Request, socket: Socket, head: Buffer): void {
    const started = performance.now();
    const handshake = new HandshakeSocket(socket, head, req.minor === 0);
    const scanned = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    if (scanned.dropped !== undefined) reportScan(deps.security, scanned, false);
    if (scanned.ambiguous || req.method !== 'GET') {
      if (scanned.ambiguous) reportAmbiguous(deps.security, scanned);
      send(
        handshake.response(),
        errorAnswer({ code: ErrorCode.BadRequest }, false),
        started,
        req,
        scanned,
        BAD_REQUEST,
      );
      return;
    }
    const act = (o: Outcome) => {
      if (handshake.gone) {
        // The client left while the route or session was being read.
        const route = 'forward' in o ? o.forward : o.route;
        const facts = {
          scanned,
          route,
          method: req.method,
          target: req.url,
          started,
          sent: -1,
          answered: -1,
        };
        accessLog.exchange(facts, 499, 0, 'gateway', undefined, 'client');
        return;
      }
      if ('forward' in o) relayHandshake(req, handshake, scanned, o, started);
      else send(handshake.response(), o.answer, started, req, scanned, o);
    };
    const outcome = resolver.resolve(gated(req, scanned, true));
    if (outcome instanceof Promise) outcome.then(act);
    else act(outcome);
  }

  /** Answers a WebSocket handshake for a host that has none (the gateway's own): 404, then the close. */
  function refuseUpgrade(req: Http1Request, socket: Socket, head: Buffer): void {
    const handshake = new HandshakeSocket(socket, head, req.minor === 0);
    const { requestId } = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    write(
      handshake.response(),
      errorAnswer({ code: ErrorCode.NoRoute }, false),
      performance.now(),
      requestId,
    );
  }

  return { handleRequest, handleUpgrade, refuseUpgrade };
}
