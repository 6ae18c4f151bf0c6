/**
 * How Bun's fetch reuses connections, and the agent's way out: a POST on a kept-alive connection that
 * died unseen fails with a reset (Bun retries only idempotent requests), and `freshConnection` takes a
 * new connection even when the pool holds several dead ones. Runs fresh-connection-probe.ts on Bun.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
let server: Server;
let port: number;

beforeAll(async () => {
  // One answer per connection, kept alive; any later request on it is reset, as by a restarted peer.
  server = createServer((socket) => {
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', () => {
      if (answered) return void socket.resetAndDestroy();
      answered = true;
      // Late enough that the warm-up's three posts are in flight together: three pooled connections.
      setTimeout(
        () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}'),
        50,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('the agent gateway client on Bun', () => {
  it('meets a reset on a dead pooled connection, and takes a new one with freshConnection', async () => {
    const { stdout } = await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/bun'),
      [join(ROOT, 'test/images/fresh-connection-probe.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, EVENTS_URL: `http://127.0.0.1:${port}/collab/event` },
        timeout: 20_000,
      },
    );
    expect(JSON.parse(stdout)).toEqual({ warm: ['ok', 'ok', 'ok'], plain: 'reset', fresh: ['ok', 'ok'] });
  });
});
