/**
 * A WebSocket client slower than its app (a terminal's `cat` of a large file, read by a browser on a slow
 * link): the gateway reads the app only as fast as the client takes it, on every runtime, so the app's
 * writes wait instead of the gateway queueing the whole burst in memory or cutting the socket (1009).
 *
 * The app writes BURST_MIB as fast as its own socket lets it. The client stops reading for STALL_MS: in
 * that time the app may get out only what the buffers on the way hold (kernel buffers on both sides, the
 * gateway's queue up to its pause mark). Then the client reads on and must get every byte, in order, and
 * the app's own close.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';
import { hostOf, register } from './proxy-suite.ts';

const MiB = 1024 * 1024;
const BURST_MIB = 160;
const MESSAGE = 64 * 1024;
const STALL_MS = 2_000;
/** What the app may get out while the client reads nothing: far below the burst, far above the buffers. */
const STALLED_MAX_MIB = 48;

/** An app that bursts BURST_MIB in MESSAGE-sized binary messages to each WebSocket, minding its socket. */
async function startBurstingApp() {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  let sent = 0;
  wss.on('connection', (ws) => {
    let i = 0;
    const pump = () => {
      while (i < (BURST_MIB * MiB) / MESSAGE) {
        // Wait for the socket to drain, as an app writing to a blocking pipe would.
        if (ws.bufferedAmount > 256 * 1024) return void setTimeout(pump, 1);
        const payload = Buffer.alloc(MESSAGE); // ws may hold a buffer until the socket takes it
        payload.writeUInt32BE(i, 0); // each message numbered: the client checks the order
        i++;
        sent += MESSAGE;
        ws.send(payload);
      }
      ws.close(1000, 'done');
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sent: () => sent,
    close: () => new Promise<void>((resolve) => wss.close(() => server.close(() => resolve()))),
  };
}

describe.each(RUNTIMES)('a WebSocket client slower than its app (%s)', (runtime) => {
  let gw: GatewayProcess;
  let app: Awaited<ReturnType<typeof startBurstingApp>>;
  beforeAll(async () => {
    app = await startBurstingApp();
    gw = await startGateway(runtime, {});
    await register(gw, 'burst', 'term', app.port);
  });
  afterAll(async () => {
    await gw?.stop();
    await app?.close();
  });

  it('holds the app back while the client reads nothing, then delivers every byte in order', {
    timeout: 60_000,
  }, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/`, { headers: { host: hostOf('burst') } });
    let received = 0;
    let next = 0;
    let outOfOrder = 0;
    ws.on('message', (data: Buffer) => {
      if (data.readUInt32BE(0) !== next) outOfOrder++;
      next++;
      received += data.length;
    });
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.pause();
    await new Promise((r) => setTimeout(r, STALL_MS));
    const sentWhileStalled = app.sent();
    ws.resume();
    const [code, reason] = await closed;
    console.log(
      `${runtime}: the app got ${(sentWhileStalled / MiB).toFixed(1)} MiB out while the client read nothing`,
    );
    expect(sentWhileStalled).toBeLessThan(STALLED_MAX_MIB * MiB);
    expect([code, reason]).toEqual([1000, 'done']);
    expect(received).toBe(BURST_MIB * MiB);
    expect(outOfOrder).toBe(0);
  });
});
