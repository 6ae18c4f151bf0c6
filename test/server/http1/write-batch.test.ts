import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { holdUntilTurnEnds } from '../../../gateway/server/http1/write-batch.ts';

const turnEnds = () => new Promise((resolve) => setImmediate(resolve));

/** A loopback pair: `local` is the socket written to, `received()` what its peer has read so far. */
async function pair(): Promise<{ local: Socket; received: () => string; server: Server }> {
  let text = '';
  const server = createServer((peer) => peer.on('data', (chunk) => (text += chunk.toString('latin1'))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const local = connect(port, '127.0.0.1');
  await once(local, 'connect');
  return { local, received: () => text, server };
}

/** Until the peer has read `expected` (bounded). */
async function until(received: () => string, expected: string): Promise<void> {
  for (let i = 0; i < 200 && received() !== expected; i++) await new Promise((r) => setTimeout(r, 5));
  expect(received()).toBe(expected);
}

describe('holdUntilTurnEnds', () => {
  const opened: { local: Socket; server: Server }[] = [];
  afterEach(() => {
    for (const { local, server } of opened.splice(0)) {
      local.destroy();
      server.close();
    }
  });
  const open = async () => {
    const p = await pair();
    opened.push(p);
    return p;
  };

  it('keeps the writes of this turn in the socket, in order, and lets them go when the turn ends', async () => {
    const a = await open();
    const b = await open();
    holdUntilTurnEnds(a.local);
    holdUntilTurnEnds(b.local);
    a.local.write('a1 ');
    b.local.write('b1');
    holdUntilTurnEnds(a.local); // a second answer on the same socket in the same turn
    a.local.write('a2');
    expect(a.local.writableLength).toBe(5);
    expect(b.local.writableLength).toBe(2);
    await turnEnds();
    // Uncorked once per hold: nothing is left corked for the next turn.
    expect(a.local.writableCorked).toBe(0);
    expect(b.local.writableCorked).toBe(0);
    await until(a.received, 'a1 a2');
    await until(b.received, 'b1');
    a.local.write('a3');
    expect(a.local.writableLength).toBe(0);
    await until(a.received, 'a1 a2a3');
  });

  it('lets end() deliver held writes at once', async () => {
    const a = await open();
    holdUntilTurnEnds(a.local);
    a.local.write('last');
    a.local.end();
    expect(a.local.writableLength).toBe(0);
    await until(a.received, 'last');
    await turnEnds();
  });

  it('does not trip over a socket destroyed while held', async () => {
    const a = await open();
    const b = await open();
    holdUntilTurnEnds(a.local);
    holdUntilTurnEnds(b.local);
    a.local.write('lost');
    b.local.write('kept');
    a.local.destroy();
    await turnEnds();
    await until(b.received, 'kept');
  });
});
