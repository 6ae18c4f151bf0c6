import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedReads } from '../../gateway/server/shared-reads.ts';
import { YIELD_BYTES, yieldingPipe } from '../../gateway/server/yielding-pipe.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const READ_SIZE = 64 * 1024;

/** A loopback socket (read as the relay reads an app's) on which a server writes `payload` and ends. */
async function burstSource(payload: Buffer): Promise<Socket> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.end(payload);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const socket = connect({ port, host: '127.0.0.1', onread: new SharedReads().streamed });
  sockets.push(socket);
  return socket;
}

describe('yieldingPipe', () => {
  it('relays a burst whole and in order, letting the event loop turn at least every YIELD_BYTES and a read', async () => {
    const payload = randomBytes(16 * 1024 * 1024);
    const src = await burstSource(payload);
    const received: Buffer[] = [];
    let bytes = 0;
    let sinceTurn = 0;
    let mostInOneTurn = 0;
    let turning = true;
    const turn = () => {
      mostInOneTurn = Math.max(mostInOneTurn, sinceTurn);
      sinceTurn = 0;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const dest = new PassThrough();
    dest.on('data', (chunk: Buffer) => {
      received.push(chunk);
      bytes += chunk.length;
      sinceTurn += chunk.length;
    });
    yieldingPipe(src, dest);
    await new Promise((resolve) => dest.on('end', resolve));
    turning = false;
    expect(bytes).toBe(payload.length);
    expect(sha(Buffer.concat(received))).toBe(sha(payload));
    expect(mostInOneTurn).toBeLessThanOrEqual(YIELD_BYTES + READ_SIZE);
  });

  it("keeps the destination's back-pressure: a slow destination is never handed more than its buffer", async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const src = await burstSource(payload);
    let written = 0;
    let mostQueued = 0;
    const dest = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        setTimeout(done, 1);
      },
    });
    const watch = setInterval(() => {
      mostQueued = Math.max(mostQueued, dest.writableLength);
    }, 1);
    yieldingPipe(src, dest);
    await new Promise((resolve) => dest.on('finish', resolve));
    clearInterval(watch);
    expect(written).toBe(payload.length);
    // pipe stops the source once the destination's buffer is past its mark: one read over it at most.
    expect(mostQueued).toBeLessThanOrEqual(16 * 1024 + READ_SIZE);
  });
});
