/** Node adapter: node:http listeners; the control and admin apps through @hono/node-server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import type { RunningServer } from './listener.ts';

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

export async function startNode(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin } = gateway;
  const controlListener = getRequestListener((request, env) =>
    control.fetch(request, {
      remoteAddress: plainAddress(env.incoming.socket.remoteAddress),
      listener: 'public',
    }),
  );
  const publicServer = createServer(controlListener);
  const adminServer = createServer(getRequestListener((request) => admin.fetch(request)));
  const publicPort = await listen(publicServer, config.PORT, config.HOST);
  const adminPort = await listen(adminServer, config.ADMIN_PORT, '127.0.0.1');
  return {
    publicPort,
    adminPort,
    close: async () => {
      await Promise.all([closeServer(publicServer), closeServer(adminServer)]);
    },
  };
}
