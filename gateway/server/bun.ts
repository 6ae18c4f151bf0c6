/** Bun adapter: Bun.serve listeners; the Hono apps take web Requests as they are. */
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import type { RunningServer } from './listener.ts';

interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
};

export async function startBun(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin } = gateway;
  const publicServer = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: (request, server) =>
      control.fetch(request, {
        remoteAddress: plainAddress(server.requestIP(request)?.address),
        listener: 'public',
      }),
  });
  const adminServer = Bun.serve({
    port: config.ADMIN_PORT,
    hostname: '127.0.0.1',
    fetch: (request) => admin.fetch(request),
  });
  return {
    publicPort: publicServer.port,
    adminPort: adminServer.port,
    close: async () => {
      await Promise.all([publicServer.stop(true), adminServer.stop(true)]);
    },
  };
}
