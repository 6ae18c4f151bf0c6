/**
 * Bun adapter: Bun.serve listeners. The public one sends `uc-*` hosts to the proxy (fetch forwarding,
 * native WebSockets) and every other Host to the control app; the admin listener binds ADMIN_HOST (loopback by default).
 *
 * What Bun 1.4 does not let us set (measured): the server's header deadline is fixed at about 10 s
 * (CLIENT_HEADERS_TIMEOUT is not applied); fetch has no separate connect timeout (the headers deadline
 * covers connecting). UPSTREAM_BODY_TIMEOUT maps to fetch's socket idle `timeout`.
 */
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import { clientStays } from './bun-pipelining.ts';
import { type EdgeRules, edgeRefusal, refuseAtEdge } from './edge-check.ts';
import { createFetchProxy, type UpstreamInit } from './fetch-proxy.ts';
import type { RunningServer } from './listener.ts';
import { isContainerHost, isWebSocketUpgrade } from './public-dispatch.ts';
import { openRawUpstream } from './raw-upstream.ts';
import { createWebSocketRelay, MAX_MESSAGE_BYTES, type Relay } from './web-socket-relay.ts';

interface BunServerWebSocket {
  data: Relay;
  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): number;
  close(code?: number, reason?: string): void;
  getBufferedAmount(): number;
}
interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  upgrade(request: Request, options: { data: Relay; headers?: Record<string, string> }): boolean;
  /** Per-request idle timeout in seconds; 0 = none. */
  timeout(request: Request, seconds: number): void;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
type BunAnswer = Response | undefined | Promise<Response | undefined>;
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    maxRequestBodySize?: number;
    fetch: (request: Request, server: BunServer) => BunAnswer;
    websocket?: {
      open(ws: BunServerWebSocket): void;
      message(ws: BunServerWebSocket, message: string | Uint8Array<ArrayBuffer>): void;
      close(ws: BunServerWebSocket, code: number, reason: string): void;
      idleTimeout: number;
      sendPings: boolean;
      maxPayloadLength: number;
      backpressureLimit: number;
      closeOnBackpressureLimit: boolean;
    };
  }): BunServer;
};
/** Bun's fetch options that make it a transparent pipe. */
interface BunFetchInit extends UpstreamInit {
  /** Hand compressed bodies through as they are. */
  decompress: false;
  /** Socket idle timeout in ms; false = none. */
  timeout: number | false;
}

/**
 * Gives a proxied connection an idle deadline (`idleSeconds`: CLIENT_IDLE_TIMEOUT) again once the answer
 * allows it: `timeout(0)` (set while the upstream may take its time to answer) stays on the connection,
 * and an idle keep-alive client would otherwise hold it for good. An answer of known length gets it at
 * once (its body flows, or it is cut after that much silence); a streamed one (SSE, long polls) only at
 * its end, which costs a stream step per answer, so it is kept off the usual path.
 */
function idleAfter(answer: Response, request: Request, server: BunServer, idleSeconds: number): Response {
  const rearm = () => server.timeout(request, idleSeconds);
  if (answer.body === null || answer.headers.has('content-length')) {
    rearm();
    return answer;
  }
  return new Response(answer.body.pipeThrough(new TransformStream({ flush: rearm })), answer);
}

const BUN_RULES: EdgeRules = { runtime: 'bun' };

export async function startBun(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin, proxy } = gateway;
  const idleSeconds = Math.max(1, Math.round(config.CLIENT_IDLE_TIMEOUT / 1000));
  const bodyTimeout = config.UPSTREAM_BODY_TIMEOUT > 0 ? config.UPSTREAM_BODY_TIMEOUT : false;
  const fetchProxy = createFetchProxy({
    ...proxy,
    fetchUpstream: (url, init) => {
      const bunInit: BunFetchInit = { ...init, decompress: false, timeout: bodyTimeout };
      return fetch(url, bunInit);
    },
    fetchDecodes: false,
    trustedProxies: config.TRUSTED_PROXIES,
    keepUnderscores: config.UNDERSCORE_HEADERS === 'keep',
    headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT,
    clientStays,
  });
  // Upstream WebSockets on plain TCP (raw-upstream.ts): Bun's own client cannot stop reading a fast app.
  const relay = createWebSocketRelay(
    {
      ...proxy,
      openUpstream: (target) => openRawUpstream({ ...target, maxMessage: MAX_MESSAGE_BYTES }),
      headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT,
    },
    fetchProxy,
  );
  const publicServer = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    // Bun refuses bodies over 128 MiB by default; uploads to containers stream with no size limit (the
    // control app limits its own bodies).
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (request, server) => {
      // What the Node front end refuses and Bun.serve lets through (CONNECT, DEL in a value).
      const refused = edgeRefusal(request, BUN_RULES);
      const remoteAddress = plainAddress(server.requestIP(request)?.address);
      if (refused) return refuseAtEdge(proxy.security, refused, remoteAddress);
      if (!isContainerHost(request.headers.get('host')))
        return control.fetch(request, { remoteAddress, listener: 'public' });
      // No idle cut-off for proxied exchanges (SSE, long polls, slow uploads); Bun's default is 10 s.
      server.timeout(request, 0);
      if (!isWebSocketUpgrade(request)) {
        const answer = fetchProxy.handleRequest(request, remoteAddress);
        return answer instanceof Promise
          ? answer.then((a) => idleAfter(a, request, server, idleSeconds))
          : idleAfter(answer, request, server, idleSeconds);
      }
      return relay.handleUpgrade(request, remoteAddress, (protocol, accepted) => {
        // Always set: without it Bun echoes the client's first subprotocol, and an empty value sends none.
        const headers = { 'sec-websocket-protocol': protocol, 'x-request-id': accepted.requestId };
        if (server.upgrade(request, { data: accepted, headers })) return undefined;
        accepted.abandon();
        return new Response('WebSocket upgrade failed', { status: 400 });
      });
    },
    websocket: {
      open: (ws) =>
        ws.data.attach({
          send: (data) => void ws.send(data),
          close: (code, reason) => ws.close(code, reason),
          buffered: () => ws.getBufferedAmount(),
        }),
      message: (ws, message) => ws.data.fromClient(message),
      close: (ws, code, reason) => ws.data.clientClosed(code, reason),
      // Pings keep a quiet but live client open; only a peer that stops answering is dropped.
      idleTimeout: 120,
      sendPings: true,
      maxPayloadLength: MAX_MESSAGE_BYTES,
      // A safety net only: the relay stops reading the app once 1 MiB is queued (PAUSE_AT_BYTES).
      backpressureLimit: MAX_MESSAGE_BYTES,
      closeOnBackpressureLimit: true,
    },
  });
  const adminServer = Bun.serve({
    port: config.ADMIN_PORT,
    hostname: config.ADMIN_HOST,
    fetch: (request) => admin.fetch(request),
  });
  // The VPN-side listener: control endpoints only, on the gateway's VPN address.
  const vpnServer = gateway.vpn
    ? Bun.serve({
        port: 80,
        hostname: gateway.vpn.gatewayAddress,
        fetch: (request, server) =>
          control.fetch(request, {
            remoteAddress: plainAddress(server.requestIP(request)?.address),
            listener: 'vpn',
          }),
      })
    : undefined;
  return {
    publicPort: publicServer.port,
    adminPort: adminServer.port,
    close: async () => {
      await Promise.all([publicServer.stop(true), adminServer.stop(true), vpnServer?.stop(true)]);
    },
  };
}
