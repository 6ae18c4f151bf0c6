/**
 * Request ids, trace context and the access log on real gateway processes (Node, Deno, Bun), one per
 * ACCESS_LOG mode: `all` trusting loopback (the test gateway's default TRUSTED_PROXIES), `errors` trusting
 * no test address (loopback clients are untrusted, as a browser on the internet is), and `off`.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { ORG } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { hostOf, register } from './proxy-suite.ts';

const GENERATED_ID = /^[0-9a-f]{32}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-00$/;
const CLIENT_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A JSON log line as the gateway wrote it. */
type LogLine = Record<string, unknown> & { msg: string };

/** Every JSON line the gateway wrote so far. */
function logLines(gw: GatewayProcess): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of gw.output().split('\n'))
    if (text.startsWith('{"time"')) lines.push(JSON.parse(text) as LogLine);
  return lines;
}

/** The lines with `msg` about request `requestId` (waits up to 5 s for the first). */
async function linesFor(gw: GatewayProcess, requestId: string, msg = 'access'): Promise<LogLine[]> {
  const find = () => logLines(gw).filter((l) => l.msg === msg && l.requestId === requestId);
  await expect.poll(() => find().length, { timeout: 5_000 }).toBeGreaterThan(0);
  return find();
}

interface Echo {
  url: string;
  headers: Record<string, string>;
}

export function observabilitySuite(runtime: Runtime): void {
  describe(`request ids, trace context and the access log on ${runtime}`, () => {
    let redis: TestRedis;
    let up: TestUpstream;
    let all: GatewayProcess;
    let errors: GatewayProcess;
    let off: GatewayProcess;

    /** A GET through `gw`; the answer's status, its X-Request-Id, and its body as text ('' when cut). */
    async function get(gw: GatewayProcess, host: string, path: string, headers: Record<string, string> = {}) {
      const res = await request(`${gw.base}${path}`, { headers: { host, ...headers } });
      const body = await res.body.text().catch(() => '');
      return { status: res.statusCode, id: String(res.headers['x-request-id']), body };
    }

    beforeAll(async () => {
      redis = await startRedis();
      up = await startUpstream(0, 'app');
      const common = { REDIS_URL: redis.url, UPSTREAM_HEADERS_TIMEOUT: '1s' };
      [all, errors, off] = await Promise.all([
        startGateway(runtime, { ...common, ACCESS_LOG: 'all' }),
        startGateway(runtime, { ...common, ACCESS_LOG: 'errors', TRUSTED_PROXIES: '192.0.2.1' }),
        startGateway(runtime, common),
      ]);
      // One store: routes registered through one gateway are served by all three.
      await register(all, 'c1', 'web', up.port);
      await register(all, 'c2', 'dead', await freePort());
    });
    afterAll(async () => {
      await Promise.all([all?.stop(), errors?.stop(), off?.stop()]);
      await up?.close();
      await redis?.stop();
    });

    it("keeps a trusted peer's well-formed X-Request-Id: the app, the client and the log see it", async () => {
      const res = await get(all, hostOf('c1'), '/id', { 'x-request-id': 'stage1:req-42' });
      expect((JSON.parse(res.body) as Echo).headers['x-request-id']).toBe('stage1:req-42');
      expect(res.id).toBe('stage1:req-42');
      expect(await linesFor(all, 'stage1:req-42')).toHaveLength(1);
    });

    it("replaces an untrusted client's id and a trusted peer's malformed one; app and client see the same", async () => {
      for (const [gw, sent] of [
        [errors, 'client-chosen'],
        [all, 'has space'],
      ] as const) {
        const res = await get(gw, hostOf('c1'), '/id', { 'x-request-id': sent, X_Custom: 'dropped' });
        const seen = (JSON.parse(res.body) as Echo).headers['x-request-id'];
        expect(seen).toMatch(GENERATED_ID);
        expect(res.id).toBe(seen);
      }
      // Security lines about a request carry its id.
      await expect
        .poll(() => errors.output())
        .toMatch(/"reason":"headers_dropped"[^\n]*"requestId":"[0-9a-f]{32}"/);
    });

    it('writes one access line per exchange with its fields, and never a query string', async () => {
      const res = await get(all, hostOf('c1'), '/some/path?token=secret&x=1', { 'user-agent': 'obs-test' });
      expect(res.status).toBe(200);
      const [line] = await linesFor(all, res.id);
      expect(line).toMatchObject({
        level: 'info',
        msg: 'access',
        requestId: res.id,
        client: '127.0.0.1',
        host: hostOf('c1'),
        container: 'c1',
        service: 'web',
        method: 'GET',
        path: '/some/path',
        status: 200,
        bytes: Buffer.byteLength(res.body),
        by: 'app',
      });
      expect(Date.parse(String(line?.time))).toBeGreaterThan(Date.now() - 60_000);
      expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(line?.durationMs).toBeGreaterThanOrEqual(Number(line?.upstreamMs));
      expect(line?.upstreamMs).toBeGreaterThanOrEqual(0);

      const unknown = await get(all, `uc-nobody.org-${ORG}.localhost`, '/x?token=secret');
      expect(unknown.status).toBe(404);
      const [refused] = await linesFor(all, unknown.id);
      expect(refused).toMatchObject({ status: 404, by: 'gateway', code: 'GW_ERR_NO_ROUTE', path: '/x' });
      expect(refused?.bytes).toBeGreaterThan(0);
      expect(refused).not.toHaveProperty('upstreamMs');
      expect(all.output()).not.toContain('secret');
    });

    it('passes a valid traceparent and its tracestate through; starts a well-formed one otherwise', async () => {
      const passed = await get(all, hostOf('c1'), '/t', {
        traceparent: CLIENT_TRACEPARENT,
        tracestate: 'congo=t61rcWkgMzE',
      });
      const kept = (JSON.parse(passed.body) as Echo).headers;
      expect(kept.traceparent).toBe(CLIENT_TRACEPARENT);
      expect(kept.tracestate).toBe('congo=t61rcWkgMzE');
      expect((await linesFor(all, passed.id))[0]?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');

      const without: Record<string, string>[] = [
        {},
        { traceparent: 'garbage', tracestate: 'congo=t61rcWkgMzE' },
      ];
      for (const sent of without) {
        const started = await get(all, hostOf('c1'), '/t', sent);
        const headers = (JSON.parse(started.body) as Echo).headers;
        const traceId = TRACEPARENT.exec(headers.traceparent ?? '')?.[1];
        expect(traceId, headers.traceparent).toBeDefined();
        expect(headers.tracestate).toBeUndefined();
        expect((await linesFor(all, started.id))[0]?.traceId).toBe(traceId);
      }
    });

    it('with ACCESS_LOG=errors, logs 4xx/5xx answers and cut exchanges, not a 200', async () => {
      const ok = await get(errors, hostOf('c1'), '/ok');
      expect(ok.status).toBe(200);
      const refused = await get(errors, hostOf('c2'), '/r');
      expect(refused.status).toBe(502);
      const slow = await get(errors, hostOf('c1'), '/hang');
      expect(slow.status).toBe(504);
      const failing = await get(errors, hostOf('c1'), '/status?code=500');
      expect(failing.status).toBe(500);
      const cut = await get(errors, hostOf('c1'), '/cut-body');
      expect(cut.body.length).toBeLessThan(1000);

      expect((await linesFor(errors, refused.id))[0]).toMatchObject({
        status: 502,
        by: 'gateway',
        code: 'GW_ERR_UPSTREAM_REFUSED',
        container: 'c2',
        service: 'dead',
      });
      expect((await linesFor(errors, slow.id))[0]).toMatchObject({
        status: 504,
        by: 'gateway',
        code: 'GW_ERR_UPSTREAM_TIMEOUT',
      });
      expect((await linesFor(errors, failing.id))[0]).toMatchObject({ status: 500, by: 'app' });
      const [cutLine] = await linesFor(errors, cut.id);
      expect(cutLine).toMatchObject({
        status: 200,
        by: 'app',
        cut: 'upstream',
        code: 'GW_ERR_UPSTREAM_FAILED',
      });
      // The operator's line, whatever ACCESS_LOG says (on Deno and Bun a cut answer is seen with it on).
      expect((await linesFor(errors, cut.id, 'upstream failed'))[0]).toMatchObject({
        level: 'warn',
        code: 'GW_ERR_UPSTREAM_FAILED',
        cut: 'upstream',
        container: 'c1',
      });
      // Lines leave in order: the 200's would be out by now.
      expect(logLines(errors).filter((l) => l.requestId === ok.id)).toEqual([]);
    });

    it('with ACCESS_LOG=errors, logs a client that leaves in the middle of an answer', async () => {
      // 1,000 chunks 20 ms apart: the gateway's next write after the client left finds it gone.
      const res = await request(`${errors.base}/stream?n=1000`, { headers: { host: hostOf('c1') } });
      const id = String(res.headers['x-request-id']);
      for await (const chunk of res.body) {
        expect(String(chunk)).toContain('chunk');
        break; // leaving the loop destroys the body, and with it the connection
      }
      expect((await linesFor(errors, id))[0]).toMatchObject({ status: 200, by: 'app', cut: 'client' });
    });

    it('with ACCESS_LOG=off, writes no access line, and still an upstream failure line', async () => {
      const answers = [
        await get(off, hostOf('c1'), '/a'),
        await get(off, hostOf('c2'), '/b'),
        await get(off, `uc-nobody.org-${ORG}.localhost`, '/c'),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 502, 404]);
      for (const a of answers) expect(a.id).toMatch(GENERATED_ID);
      // A failed exchange is still an operator's line, with the request's id.
      expect((await linesFor(off, answers[1]?.id ?? '', 'upstream failed'))[0]).toMatchObject({
        level: 'warn',
        code: 'GW_ERR_UPSTREAM_REFUSED',
        host: hostOf('c2'),
        service: 'dead',
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(logLines(off).filter((l) => l.msg === 'access')).toEqual([]);
    });

    it('logs a WebSocket switch (101, its id echoed) and its close; a refused handshake by its status', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${all.port}/ws?token=secret`, {
        headers: { host: hostOf('c1'), 'x-request-id': 'ws-req-1' },
      });
      const echoed = new Promise<unknown>((resolve) =>
        ws.once('upgrade', (res) => resolve(res.headers['x-request-id'])),
      );
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      expect(await echoed).toBe('ws-req-1');
      expect(up.webSockets.at(-1)?.headers['x-request-id']).toBe('ws-req-1');
      ws.close();
      expect((await linesFor(all, 'ws-req-1'))[0]).toMatchObject({ status: 101, by: 'app', path: '/ws' });
      const [closed] = await linesFor(all, 'ws-req-1', 'websocket closed');
      expect(closed).toMatchObject({ path: '/ws', container: 'c1' });
      // Node relays bytes: the side whose connection ended first (after a close handshake, the app's).
      expect(['client', 'upstream']).toContain(closed?.closedBy);

      const refused = new WebSocket(`ws://127.0.0.1:${all.port}/refuse?status=403`, {
        headers: { host: hostOf('c1'), 'x-request-id': 'ws-req-2' },
      });
      refused.on('error', () => {});
      await new Promise((resolve) =>
        refused.once('unexpected-response', (_req, res) => resolve(res.resume())),
      );
      refused.terminate();
      expect((await linesFor(all, 'ws-req-2'))[0]).toMatchObject({ status: 403, path: '/refuse' });
      expect(all.output()).not.toContain('secret');
    });

    it('the control app keeps a trusted id, replaces an untrusted one, and echoes it', async () => {
      const trusted = await fetch(`${all.base}/healthz`, { headers: { 'x-request-id': 'ctl-1' } });
      expect(trusted.headers.get('x-request-id')).toBe('ctl-1');
      const untrusted = await fetch(`${errors.base}/healthz`, { headers: { 'x-request-id': 'ctl-2' } });
      expect(untrusted.headers.get('x-request-id')).toMatch(GENERATED_ID);
    });
  });
}
