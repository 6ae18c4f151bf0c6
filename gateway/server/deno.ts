/** Deno adapter: Deno.serve listeners; the Hono apps take web Requests as they are. */
import { plainAddress } from '../control/env.ts';
import type { Gateway } from '../gateway.ts';
import type { RunningServer } from './listener.ts';

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoServeInfo {
  remoteAddr: { hostname: string };
}
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoServer;
};

export async function startDeno(gateway: Gateway): Promise<RunningServer> {
  const { config, control, admin } = gateway;
  const quiet = () => {};
  const publicServer = Deno.serve(
    { port: config.PORT, hostname: config.HOST, onListen: quiet },
    (request, info) =>
      control.fetch(request, { remoteAddress: plainAddress(info.remoteAddr.hostname), listener: 'public' }),
  );
  const adminServer = Deno.serve(
    { port: config.ADMIN_PORT, hostname: '127.0.0.1', onListen: quiet },
    (request) => admin.fetch(request),
  );
  return {
    publicPort: publicServer.addr.port,
    adminPort: adminServer.addr.port,
    close: async () => {
      await Promise.all([publicServer.shutdown(), adminServer.shutdown()]);
    },
  };
}
