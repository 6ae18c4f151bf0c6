/**
 * Node forwarding: undici `dispatch` with a raw handler (no intermediate objects) on a keep-alive pool
 * per upstream, streaming both ways with back-pressure; WebSockets through `dispatch({upgrade})` and
 * raw socket piping. Everything configurable was prepared at start; per request: one header pass, one
 * Map lookup, one dispatch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../shared/errors.ts';
import { plainAddress } from '../control/env.ts';
import type { ActivityTracker } from '../proxy/activity.ts';
import type { Decider, Decision } from '../proxy/decide.ts';
import {
  type ForwardContext,
  filterResponseHeaders,
  type ScannedRequest,
  scanRequestHeaders,
} from '../proxy/headers.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';
import { errorAnswer, type ProxyErrorInfo, wantsHtml } from '../proxy/pages.ts';
import type { UpstreamPools } from '../proxy/upstreams.ts';
import type { WebSocketRegistry } from '../proxy/websockets.ts';
import type { ResolvedRoute } from '../store/store.ts';

export interface NodeProxyDeps {
  decider: Decider;
  pools: UpstreamPools;
  metrics: ProxyMetrics;
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
  trustedProxies: ReadonlySet<string>;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Extra request headers clients may not send (identity headers); lowercase. */
  strippedHeaders?: ReadonlySet<string>;
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

const WS_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]); // close frame, code 1001

export function createNodeProxy(deps: NodeProxyDeps) {
  const { decider, pools, metrics, activity, websockets } = deps;
  const forwardContext = (req: IncomingMessage): ForwardContext => {
    const clientAddress = plainAddress(req.socket.remoteAddress);
    return {
      clientAddress,
      trustedPeer: deps.trustedProxies.has(clientAddress),
      stripped: deps.strippedHeaders,
    };
  };

  function sendError(
    res: ServerResponse,
    info: ProxyErrorInfo,
    scanned: ScannedRequest | undefined,
    started: number,
  ): void {
    const answer = errorAnswer(info, wantsHtml(scanned?.secFetchMode, scanned?.accept));
    if (!res.headersSent) res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    metrics.request(answer.status, (performance.now() - started) / 1000);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    scanned: ScannedRequest,
    route: ResolvedRoute,
    started: number,
  ): void {
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    const pool = pools.get(origin, Date.now());
    let abort: ((err?: Error) => void) | undefined;
    let done = false;
    res.on('close', () => {
      if (!done) abort?.(new Error('client went away'));
    });
    pool.dispatch(
      {
        origin,
        method: req.method as string,
        path: req.url as string,
        headers: scanned.headers,
        body: scanned.hasBody ? req : null,
        headersTimeout: deps.headersTimeoutMs,
        bodyTimeout: deps.bodyTimeoutMs,
      },
      {
        onConnect(a: (err?: Error) => void) {
          abort = a;
        },
        onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string) {
          if (status < 200) return true; // 1xx interim answers are not relayed
          res.writeHead(status, statusText, filterResponseHeaders(raw));
          res.on('drain', resume);
          return true;
        },
        onData(chunk: Buffer) {
          return res.write(chunk);
        },
        onComplete() {
          done = true;
          res.end();
          metrics.request(res.statusCode, (performance.now() - started) / 1000);
        },
        onError(err: Error & { code?: string }) {
          done = true;
          if (res.headersSent) {
            res.destroy(err);
            metrics.request(res.statusCode, (performance.now() - started) / 1000);
            return;
          }
          const code = upstreamErrorCode(err);
          metrics.upstreamError(origin, code);
          sendError(res, { code, hostname: route.hostname, service: route.service }, scanned, started);
        },
      } as never,
    );
  }

  /** The public listener's handler for `uc-*` hosts. */
  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const scanned = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    if (scanned.ambiguous) {
      res.shouldKeepAlive = false;
      sendError(res, { code: ErrorCode.BadRequest }, scanned, started);
      return;
    }
    const decision = decider.decide(scanned.host);
    const act = (d: Decision) =>
      'forward' in d
        ? forward(req, res, scanned, d.forward, started)
        : sendError(res, d.error, scanned, started);
    if (decision instanceof Promise) decision.then(act);
    else act(decision);
  }

  function rejectUpgrade(socket: Duplex, info: ProxyErrorInfo, scanned?: ScannedRequest): void {
    const answer = errorAnswer(info, wantsHtml(scanned?.secFetchMode, scanned?.accept));
    const head = Object.entries({
      ...answer.headers,
      'content-length': String(Buffer.byteLength(answer.body)),
      connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.status === 404 ? 'Not Found' : 'Error'}\r\n${head}\r\n${answer.body}`,
    );
  }

  function relayUpgrade(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    scanned: ScannedRequest,
    route: ResolvedRoute,
    upgrade: string,
  ): void {
    activity.touch(route.containerId);
    const origin = `http://${route.upstream}:${route.port}`;
    pools.get(origin, Date.now()).dispatch(
      {
        origin,
        method: 'GET',
        path: req.url as string,
        headers: scanned.headers,
        upgrade,
        headersTimeout: deps.headersTimeoutMs,
      },
      {
        onConnect() {},
        onHeaders() {
          return true;
        },
        onData() {
          return true;
        },
        onComplete() {},
        onUpgrade(status: number, raw: Buffer[], upstream: Duplex) {
          const lines = filterResponseHeaders(raw, true);
          let text = `HTTP/1.1 ${status} Switching Protocols\r\n`;
          for (let i = 0; i < lines.length; i += 2) text += `${lines[i]}: ${lines[i + 1]}\r\n`;
          client.write(`${text}\r\n`);
          if (head.length > 0) upstream.write(head);
          metrics.openWebSockets++;
          metrics.webSocketsTotal++;
          let closed = false;
          const unregister = websockets.add({
            route,
            close() {
              client.end(WS_GOING_AWAY);
              upstream.destroy();
            },
          });
          const finish = () => {
            if (closed) return;
            closed = true;
            unregister();
            metrics.openWebSockets--;
            client.destroy();
            upstream.destroy();
          };
          client.on('close', finish).on('error', finish);
          upstream.on('close', finish).on('error', finish);
          client.on('data', () => activity.touch(route.containerId));
          upstream.pipe(client);
          client.pipe(upstream);
        },
        onError(err: Error & { code?: string }) {
          const code = upstreamErrorCode(err);
          metrics.upstreamError(origin, code);
          rejectUpgrade(client, { code, hostname: route.hostname, service: route.service }, scanned);
        },
      } as never,
    );
  }

  /** The public listener's `upgrade` handler for `uc-*` hosts. */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const scanned = scanRequestHeaders(req.rawHeaders, forwardContext(req));
    const upgrade = req.headers.upgrade;
    if (scanned.ambiguous || req.method !== 'GET' || !upgrade) {
      rejectUpgrade(socket, { code: ErrorCode.BadRequest }, scanned);
      return;
    }
    const decision = decider.decide(scanned.host);
    const act = (d: Decision) =>
      'forward' in d
        ? relayUpgrade(req, socket, head, scanned, d.forward, upgrade)
        : rejectUpgrade(socket, d.error, scanned);
    if (decision instanceof Promise) decision.then(act);
    else act(decision);
  }

  return { handleRequest, handleUpgrade };
}
