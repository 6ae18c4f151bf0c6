/**
 * Node adapter: node:http listeners. The public listener sends `uc-*` hosts to the proxy (undici) and
 * every other Host to the control app (Hono through @hono/node-server); the admin listener is loopback.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import { UpstreamPools } from '../proxy/upstreams.ts';
import type { RunningServer } from './listener.ts';
import { createNodeProxy } from './node-proxy.ts';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** Whether a request's Host is a container hostname (`uc-...`), read from rawHeaders without building `headers`. */
function isContainerRequest(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      const value = raw[i + 1] as string;
      return (
        value.length > 3 &&
        (value.charCodeAt(0) | 0x20) === 0x75 &&
        (value.charCodeAt(1) | 0x20) === 0x63 &&
        value.charCodeAt(2) === 0x2d
      );
    }
  }
  return false;
}

/** Answers malformed requests (ambiguous framing, oversized or slow headers) and closes. */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
  const body = JSON.stringify({ error: { code: 'GW_ERR_BAD_REQUEST', message: status.slice(4) } });
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function startNode(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin, proxy } = gateway;
  const pools = new UpstreamPools({
    connections: config.UPSTREAM_CONNECTIONS,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT,
    maxPools: config.UPSTREAM_MAX_POOLS,
    idleMs: config.UPSTREAM_POOL_IDLE,
  });
  const nodeProxy = createNodeProxy({
    ...proxy,
    pools,
    trustedProxies: config.TRUSTED_PROXIES,
    headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT,
    bodyTimeoutMs: config.UPSTREAM_BODY_TIMEOUT,
  });
  const controlListener = getRequestListener((request, env) =>
    control.fetch(request, {
      remoteAddress: plainAddress(env.incoming.socket.remoteAddress),
      listener: 'public',
    }),
  );
  const publicServer = createServer(
    {
      // No body timeout (uploads, SSE, long polls); slow headers are cut (slow-loris).
      requestTimeout: 0,
      headersTimeout: config.CLIENT_HEADERS_TIMEOUT,
      connectionsCheckingInterval: Math.min(1000, config.CLIENT_HEADERS_TIMEOUT),
      keepAliveTimeout: 65_000,
    },
    (req, res) => (isContainerRequest(req) ? nodeProxy.handleRequest(req, res) : controlListener(req, res)),
  );
  publicServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isContainerRequest(req)) return nodeProxy.handleUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  publicServer.on('clientError', onClientError);
  const adminServer = createServer(getRequestListener((request) => admin.fetch(request)));
  const publicPort = await listen(publicServer, config.PORT, config.HOST);
  const adminPort = await listen(adminServer, config.ADMIN_PORT, '127.0.0.1');
  // The VPN-side listener: control endpoints only, for containers, on the gateway's VPN address.
  const vpnServer = gateway.vpn
    ? createServer(
        { requestTimeout: 30_000, headersTimeout: config.CLIENT_HEADERS_TIMEOUT },
        getRequestListener((request, env) =>
          control.fetch(request, {
            remoteAddress: plainAddress(env.incoming.socket.remoteAddress),
            listener: 'vpn',
          }),
        ),
      )
    : undefined;
  if (vpnServer && gateway.vpn) await listen(vpnServer, 80, gateway.vpn.gatewayAddress);
  return {
    publicPort,
    adminPort,
    close: async () => {
      await Promise.all([
        closeServer(publicServer),
        closeServer(adminServer),
        ...(vpnServer ? [closeServer(vpnServer)] : []),
      ]);
      await pools.close();
    },
  };
}
