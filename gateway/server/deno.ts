/**
 * Deno adapter: Deno.serve listeners. The public one sends `uc-*` hosts to the proxy (fetch forwarding,
 * native WebSockets) and every other Host to the control app; the admin listener binds ADMIN_HOST (loopback by default).
 *
 * What Deno 2.9 does not let us set (measured; see the proxy suite): Deno.serve has no header read
 * timeout, so CLIENT_HEADERS_TIMEOUT is not applied (a slow-loris client is held open: put a Stage 1
 * proxy with a header timeout in front); fetch has no body idle timeout (UPSTREAM_BODY_TIMEOUT is not
 * applied) and no separate connect timeout (the headers deadline covers connecting); fetch decodes
 * compressed answers unless asked for identity, so containers are asked for identity.
 */
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import { type EdgeRules, edgeRefusal, refuseAtEdge } from './edge-check.ts';
import { createFetchProxy, type UpstreamInit } from './fetch-proxy.ts';
import type { RunningServer } from './listener.ts';
import { isContainerHost, isWebSocketUpgrade } from './public-dispatch.ts';
import { openRawUpstream } from './raw-upstream.ts';
import {
  type AcceptClient,
  createWebSocketRelay,
  MAX_MESSAGE_BYTES,
  type Relay,
} from './web-socket-relay.ts';

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoServeInfo {
  remoteAddr: { hostname: string };
}
/** A `Deno.HttpClient`: only passed back to Deno. */
interface DenoHttpClient {
  close(): void;
}
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoServer;
  upgradeWebSocket(
    request: Request,
    options: { protocol?: string },
  ): { socket: WebSocket; response: Response };
  createHttpClient(options: { allowHost: boolean; http2: boolean }): DenoHttpClient;
};
/** Deno's fetch takes the client that lets the Host header through. */
interface DenoFetchInit extends UpstreamInit {
  client: DenoHttpClient;
}

/** Wires a Deno server socket to a relay once the handshake answer is sent. */
function acceptWith(request: Request): AcceptClient<Response> {
  return (protocol: string, relay: Relay) => {
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request, { protocol: protocol || undefined });
    } catch {
      // Deno only finds a subprotocol in a list written with ", " (browsers do; some clients send ",").
      relay.abandon();
      return new Response('WebSocket subprotocol list not understood', { status: 400 });
    }
    const { socket, response } = upgraded;
    response.headers.set('x-request-id', relay.requestId);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () =>
      relay.attach({
        send: (data) => socket.send(data),
        close: (code, reason) => socket.close(code, reason),
        buffered: () => socket.bufferedAmount,
      });
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => relay.fromClient(event.data);
    socket.onclose = (event) => relay.clientClosed(event.code, event.reason);
    return response;
  };
}

export async function startDeno(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin, proxy } = gateway;
  // Host is kept (allowHost); HTTP/1.1 to containers. Deno's fetch decodes compressed answers unless the
  // request asks for identity, and has no switch for it: fetchDecodes makes the proxy ask for identity.
  const client = Deno.createHttpClient({ allowHost: true, http2: false });
  const fetchProxy = createFetchProxy({
    ...proxy,
    fetchUpstream: (url, init) => {
      const withClient: DenoFetchInit = { ...init, client };
      return fetch(url, withClient);
    },
    fetchDecodes: true,
    trustedProxies: config.TRUSTED_PROXIES,
    keepUnderscores: config.UNDERSCORE_HEADERS === 'keep',
    headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT,
  });
  // Upstream WebSockets on plain TCP (raw-upstream.ts): Deno's own client cannot stop reading a fast app.
  const relay = createWebSocketRelay(
    {
      ...proxy,
      openUpstream: (target) => openRawUpstream({ ...target, maxMessage: MAX_MESSAGE_BYTES }),
      headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT,
    },
    fetchProxy,
  );
  const quiet = () => {};
  let hostless = '';
  const rules: EdgeRules = { runtime: 'deno', hostlessUrl: () => hostless };
  const publicServer = Deno.serve(
    { port: config.PORT, hostname: config.HOST, onListen: quiet },
    (request, info) => {
      // What the Node front end refuses and Deno.serve lets through (CONNECT, OPTIONS *, absolute-form
      // targets naming another host, HTTP/2 with prior knowledge).
      const refused = edgeRefusal(request, rules);
      const remoteAddress = plainAddress(info.remoteAddr.hostname);
      if (refused) return refuseAtEdge(proxy.security, refused, remoteAddress);
      if (!isContainerHost(request.headers.get('host')))
        return control.fetch(request, { remoteAddress, listener: 'public' });
      if (!isWebSocketUpgrade(request)) return fetchProxy.handleRequest(request, remoteAddress);
      return relay.handleUpgrade(request, remoteAddress, acceptWith(request));
    },
  );
  // Deno names a request without Host by `localhost` and the listening port (measured on Deno 2.9).
  hostless = `http://localhost:${publicServer.addr.port}/`;
  const adminServer = Deno.serve(
    { port: config.ADMIN_PORT, hostname: config.ADMIN_HOST, onListen: quiet },
    (request) => admin.fetch(request),
  );
  // The VPN-side listener: control endpoints only, on the gateway's VPN address.
  const vpnServer = gateway.vpn
    ? Deno.serve({ port: 80, hostname: gateway.vpn.gatewayAddress, onListen: quiet }, (request, info) =>
        control.fetch(request, { remoteAddress: plainAddress(info.remoteAddr.hostname), listener: 'vpn' }),
      )
    : undefined;
  return {
    publicPort: publicServer.addr.port,
    adminPort: adminServer.addr.port,
    close: async () => {
      await Promise.all([publicServer.shutdown(), adminServer.shutdown(), vpnServer?.shutdown()]);
      client.close();
    },
  };
}
