/**
 * Node adapter. The public listener is the gateway's own HTTP/1.1 front end (`http1/`): `uc-*` hosts go
 * to the proxy (undici), every other Host to the control app (Hono, through the fetch bridge). The admin
 * and VPN-side listeners are node:http with @hono/node-server (low traffic, no proxying).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import { UpstreamPools } from '../proxy/upstreams.ts';
import { SecurityReason } from '../security-log.ts';
import { AnswerDeadlines } from './answer-deadlines.ts';
import { serveFetch } from './http1/fetch-bridge.ts';
import type { Http1Request } from './http1/request.ts';
import { createHttp1Server } from './http1/server.ts';
import type { RunningServer } from './listener.ts';
import { tuneCollector } from './node-gc.ts';
import { createNodeProxy } from './node-proxy.ts';
import { SharedReads } from './shared-reads.ts';

/** Control requests are small (events are limited to 64 KiB by the app); anything larger is refused. */
const CONTROL_BODY_LIMIT = 1024 * 1024;

function listen(server: Server | NetServer, port: number, host: string): Promise<number> {
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

/** Whether a request's Host is a container hostname (`uc-...`). */
function isContainerRequest(req: Http1Request): boolean {
  const host = req.host;
  return (
    host.length > 3 &&
    (host.charCodeAt(0) | 0x20) === 0x75 &&
    (host.charCodeAt(1) | 0x20) === 0x63 &&
    host.charCodeAt(2) === 0x2d
  );
}

export async function startNode(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin, proxy } = gateway;
  const collectorFlags = tuneCollector();
  if (collectorFlags.length > 0) gateway.log.info('one CPU: V8 flags set', { flags: collectorFlags });
  const reads = new SharedReads();
  const pools = new UpstreamPools({
    connections: config.UPSTREAM_CONNECTIONS,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT,
    maxPools: config.UPSTREAM_MAX_POOLS,
    idleMs: config.UPSTREAM_POOL_IDLE,
    reads: reads.streamed,
  });
  const answerDeadlines = new AnswerDeadlines(config.UPSTREAM_HEADERS_TIMEOUT);
  const nodeProxy = createNodeProxy({
    ...proxy,
    pools,
    answerDeadlines,
    trustedProxies: config.TRUSTED_PROXIES,
    keepUnderscores: config.UNDERSCORE_HEADERS === 'keep',
    bodyTimeoutMs: config.UPSTREAM_BODY_TIMEOUT,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT,
    reads: reads.streamed,
  });
  const controlHandler = serveFetch(
    (request, remoteAddress) =>
      control.fetch(request, { remoteAddress: plainAddress(remoteAddress), listener: 'public' }),
    CONTROL_BODY_LIMIT,
  );
  const publicFront = createHttp1Server(
    {
      // No body timeout (uploads, SSE, long polls); slow headers are cut (slow-loris).
      headersTimeoutMs: config.CLIENT_HEADERS_TIMEOUT,
      keepAliveTimeoutMs: config.CLIENT_IDLE_TIMEOUT,
      reads,
      onRefused: (status, reason, peer) =>
        proxy.security.event(SecurityReason.EdgeRefused, {
          status,
          refusal: reason,
          peer: plainAddress(peer),
        }),
    },
    {
      request: (req, res) =>
        isContainerRequest(req) ? nodeProxy.handleRequest(req, res) : void controlHandler(req, res),
      upgrade: (req, socket: Socket, head) =>
        isContainerRequest(req)
          ? nodeProxy.handleUpgrade(req, socket, head)
          : nodeProxy.refuseUpgrade(req, socket, head),
    },
  );
  const adminServer = createServer(getRequestListener((request) => admin.fetch(request)));
  const publicPort = await listen(publicFront.server, config.PORT, config.HOST);
  const adminPort = await listen(adminServer, config.ADMIN_PORT, config.ADMIN_HOST);
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
        publicFront.close(),
        closeServer(adminServer),
        ...(vpnServer ? [closeServer(vpnServer)] : []),
      ]);
      answerDeadlines.close();
      await pools.close();
    },
  };
}
