/**
 * Resource behaviour of the proxy on a real gateway process: large bodies stream with flat memory, and
 * WebSocket churn against a stopped upstream leaves no sockets or memory behind.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { treeFds, treeRss } from '../support/proc.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { hostOf, register } from './proxy-suite.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Samples the gateway's resident memory while `work` runs; returns the peak growth over the start. */
async function peakRssGrowth(gw: GatewayProcess, work: () => Promise<void>): Promise<number> {
  const base = treeRss(gw.pid);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(gw.pid));
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, treeRss(gw.pid)) - base;
}

/**
 * 1,000 WebSocket handshakes to `path` (50 at a time, after a warm-up of 50), each client leaving once
 * answered: their statuses by count, and the gateway's growth in descriptors and resident bytes a second
 * after the last one.
 */
async function handshakeChurn(gw: GatewayProcess, host: string, path: string) {
  const attempt = () =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, { headers: { host } });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
  for (let i = 0; i < 50; i++) await attempt(); // warm-up: lazy pools, JIT
  await new Promise((r) => setTimeout(r, 500));
  const fds = treeFds(gw.pid);
  const rss = treeRss(gw.pid);
  const statuses: Record<number, number> = {};
  for (let batch = 0; batch < 20; batch++)
    for (const s of await Promise.all(Array.from({ length: 50 }, attempt)))
      statuses[s] = (statuses[s] ?? 0) + 1;
  await new Promise((r) => setTimeout(r, 1000));
  return { statuses, fds: treeFds(gw.pid) - fds, rss: treeRss(gw.pid) - rss };
}

export function resourcesSuite(runtime: Runtime, bodyBytes = GiB): void {
  describe(`proxy resources on ${runtime}`, () => {
    let redis: TestRedis;
    let gw: GatewayProcess;
    let up: TestUpstream;
    beforeAll(async () => {
      redis = await startRedis();
      up = await startUpstream();
      gw = await startGateway(runtime, { REDIS_URL: redis.url });
      await register(gw, 'big', 'files', up.port);
    });
    afterAll(async () => {
      await gw?.stop();
      await up?.close();
      await redis?.stop();
    });

    it(`streams a ${bodyBytes / MiB} MiB download and upload with flat memory`, {
      timeout: 180_000,
    }, async () => {
      const down = await peakRssGrowth(gw, async () => {
        const res = await request(`${gw.base}/big?bytes=${bodyBytes}`, { headers: { host: hostOf('big') } });
        let n = 0;
        for await (const chunk of res.body) n += chunk.length;
        expect(n).toBe(bodyBytes);
      });
      const chunk = Buffer.alloc(256 * 1024, 3);
      const up_ = await peakRssGrowth(gw, async () => {
        const body = Readable.from(
          (async function* () {
            for (let sent = 0; sent < bodyBytes; sent += chunk.length) yield chunk;
          })(),
        );
        const res = await request(`${gw.base}/upload`, {
          method: 'POST',
          body,
          headers: { host: hostOf('big') },
        });
        expect(await res.body.json()).toEqual({ bytes: bodyBytes });
      });
      // Flat: the growth is a small constant, nowhere near the body size.
      expect(down).toBeLessThan(150 * MiB);
      expect(up_).toBeLessThan(150 * MiB);
    });

    it('keeps no socket or memory after 1,000 WebSocket attempts against a stopped upstream', {
      timeout: 120_000,
    }, async () => {
      const stopped = await startUpstream();
      await stopped.close();
      await register(gw, 'gone', 'term', stopped.port);
      const churn = await handshakeChurn(gw, hostOf('gone'), '/');
      expect(churn.statuses).toEqual({ 502: 1000 });
      expect(churn.fds).toBeLessThanOrEqual(5);
      expect(churn.rss).toBeLessThan(40 * MiB);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
      expect(metrics).toContain('gateway_proxy_websockets_open 0');
    });

    it('keeps no socket or memory after 1,000 refused WebSocket handshakes', {
      timeout: 120_000,
    }, async () => {
      const churn = await handshakeChurn(gw, hostOf('big'), '/refuse?status=404');
      expect(churn.statuses).toEqual({ 404: 1000 });
      expect(churn.fds).toBeLessThanOrEqual(5);
      expect(churn.rss).toBeLessThan(40 * MiB);
    });

    it('closes a WebSocket handshake whose client left before the app answered', async () => {
      const before = treeFds(gw.pid);
      const sockets = Array.from({ length: 50 }, () => connect(gw.port, '127.0.0.1').on('error', () => {}));
      for (const socket of sockets)
        socket.write(
          `GET /silent-upgrade HTTP/1.1\r\nHost: ${hostOf('big')}\r\nConnection: Upgrade\r\n` +
            'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
      // Every handshake is open at both ends (client and app) while the app stays silent.
      await expect.poll(() => treeFds(gw.pid) - before).toBeGreaterThanOrEqual(50);
      const closed = sockets.map((socket) => new Promise((r) => socket.once('close', r)));
      for (const socket of sockets) socket.end(); // the client leaves (FIN), long before the headers deadline
      await Promise.all(closed); // the gateway closed its side too
      await expect.poll(() => treeFds(gw.pid) - before, { timeout: 3000 }).toBeLessThanOrEqual(5);
    });

    it('keeps the body bytes intact through the proxy', async () => {
      const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
      const res = await request(`${gw.base}/echo`, {
        method: 'POST',
        body: payload,
        headers: { host: hostOf('big') },
      });
      const echoed = (await res.body.json()) as { body: string };
      expect(createHash('sha256').update(echoed.body).digest('hex')).toBe(
        createHash('sha256').update(payload.toString()).digest('hex'),
      );
    });
  });
}
