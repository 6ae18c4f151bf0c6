import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type OnReadOpts, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedReads } from '../../gateway/server/shared-reads.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A loopback server; `onSocket` gets each accepted socket synchronously, as the front end does. */
async function serve(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function dial(port: number, onread?: OnReadOpts): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(onread && { onread }) }, () => resolve(socket));
    sockets.push(socket);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('shared reads: accepted sockets', () => {
  it('hands every read of every adopted socket to its callback as a view of one buffer, and still ends', async () => {
    const reads = new SharedReads();
    const seen: { socket: number; text: string; buffer: ArrayBufferLike }[] = [];
    const ended: number[] = [];
    let next = 0;
    const port = await serve((socket) => {
      const id = next++;
      expect(
        reads.adopt(socket, (chunk) =>
          seen.push({ socket: id, text: chunk.toString(), buffer: chunk.buffer }),
        ),
      ).toBe(true);
      socket.on('end', () => ended.push(id));
    });
    const a = await dial(port);
    const b = await dial(port);
    a.write('from a');
    await sleep(30);
    b.end('from b');
    await sleep(30);
    a.end('again a');
    await sleep(50);
    expect(seen.map(({ socket, text }) => [socket, text])).toEqual([
      [0, 'from a'],
      [1, 'from b'],
      [0, 'again a'],
    ]);
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    expect(ended.sort()).toEqual([0, 1]);
  });

  it('leaves sockets on data events when told not to adopt', async () => {
    const reads = new SharedReads({ adoptAccepted: false });
    const received: string[] = [];
    const port = await serve((socket) => {
      expect(reads.adopt(socket, () => received.push('borrowed'))).toBe(false);
      socket.on('data', (d) => received.push(d.toString()));
    });
    (await dial(port)).write('plain');
    await sleep(50);
    expect(received).toEqual(['plain']);
  });

  it('gives a released socket back as a stream of copies, with back-pressure while paused', async () => {
    const reads = new SharedReads();
    const payload = randomBytes(4 * 1024 * 1024);
    let accepted: Socket | undefined;
    const before: string[] = [];
    const port = await serve((socket) => {
      accepted = socket;
      reads.adopt(socket, (chunk) => before.push(chunk.toString()));
    });
    const client = await dial(port);
    client.write('head');
    await sleep(30);
    const server = accepted as Socket;
    reads.release(server);
    server.pause();
    client.write(payload);
    await sleep(200);
    // Paused: reading stopped near the stream's high-water mark instead of taking everything.
    expect(server.readableLength).toBeLessThan(payload.length / 2);
    const chunks: Buffer[] = [];
    server.on('data', (d: Buffer) => chunks.push(d));
    server.resume();
    client.end();
    await new Promise((resolve) => server.once('end', resolve));
    const received = Buffer.concat(chunks);
    expect(before).toEqual(['head']);
    expect(received.length).toBe(payload.length);
    expect(sha(received)).toBe(sha(payload));
    expect(new Set(chunks.map((c) => c.buffer)).size).toBeGreaterThan(1);
  });
});

describe('shared reads: connected sockets (undici pools)', () => {
  it('delivers what was sent intact, as copies, through a consumer that pauses', async () => {
    const reads = new SharedReads();
    const payload = randomBytes(8 * 1024 * 1024);
    const port = await serve((socket) => socket.end(payload));
    const client = await dial(port, reads.streamed);
    client.pause();
    await sleep(100);
    expect(client.readableLength).toBeLessThan(payload.length / 2);
    const chunks: Buffer[] = [];
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      // Read slowly now and then: every pause must hold the bytes already copied.
      if (chunks.length % 16 === 0) {
        client.pause();
        setTimeout(() => client.resume(), 5);
      }
    });
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    const received = Buffer.concat(chunks);
    expect(received.length).toBe(payload.length);
    expect(sha(received)).toBe(sha(payload));
  });
});
