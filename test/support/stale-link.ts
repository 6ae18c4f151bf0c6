/**
 * A TCP link to a local port that, like a VPN tunnel that was down while the gateway restarted, never
 * passes the gateway's close of a connection on to the client: the client keeps its kept-alive
 * connection, and the next bytes it sends on it are answered with a reset (what the new process's
 * kernel sends for a connection it never knew). On plain loopback the client sees the close and never
 * reuses such a connection, so this is what a test needs to meet the agent's ECONNRESET after a restart.
 *
 *   startStaleLink(targetPort) -> { port, resets, close() }
 *     resets: the first line of each request that met a dead connection (e.g. `POST /collab/event HTTP/1.1`)
 */
import { connect, createServer, type Socket } from 'node:net';

export interface StaleLink {
  port: number;
  resets: string[];
  close(): Promise<void>;
}

export async function startStaleLink(targetPort: number): Promise<StaleLink> {
  const resets: string[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    const upstream = connect(targetPort, '127.0.0.1');
    let dead = false;
    const die = () => {
      dead = true; // the client is not told: its next bytes get the reset
      upstream.destroy();
    };
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('end', die);
    upstream.on('error', die);
    upstream.on('close', die);
    client.on('data', (chunk) => {
      if (!dead) return void upstream.write(chunk);
      resets.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
      client.resetAndDestroy();
    });
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the stale link has no port');
  return {
    port: address.port,
    resets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
