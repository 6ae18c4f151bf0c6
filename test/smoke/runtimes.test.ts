/** The same smoke suite on Node, Deno and Bun: the gateway as a child process against a real Redis. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../gateway/store/redis.ts';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

for (const runtime of RUNTIMES) {
  describe(`smoke on ${runtime}`, () => {
    let redis: TestRedis;
    let gw: GatewayProcess;
    let store: RedisStore;
    let token: string;
    beforeAll(async () => {
      redis = await startRedis();
      gw = await startGateway(runtime, { REDIS_URL: redis.url });
      store = new RedisStore(redis.url);
      token = await gw.token('smoke1', PROJECT, ORG);
    });
    afterAll(async () => {
      await store?.close();
      await gw?.stop();
      await redis?.stop();
    });
    const post = (body: string, authorization = token) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body,
        headers: { authorization, 'content-type': 'application/json' },
      });

    it('answers /healthz and /readyz (store reachable)', async () => {
      expect(await (await fetch(`${gw.base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { store: 'ok' } });
    });

    it("answers a browser at the gateway's own host with a page, a script with JSON", async () => {
      // undici's request: fetch sends its own Sec-Fetch-Mode (cors), as a browser's script would.
      const page = await request(`${gw.base}/`, {
        headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
      });
      expect(page.statusCode).toBe(200);
      expect(await page.body.text()).toMatch(/<h1>Demiurge Gateway<\/h1>[\s\S]*data-check="store">ok</);
      const json = await fetch(`${gw.base}/`, { headers: { accept: 'text/html' } });
      expect(json.status).toBe(404);
      expect(await json.json()).toMatchObject({ error: { code: 'GW_ERR_NOT_FOUND' } });
      const missing = await request(`${gw.base}/nope`, { headers: { accept: 'text/html' } });
      expect([missing.statusCode, await missing.body.text()]).toEqual([
        404,
        expect.stringContaining('Nothing here'),
      ]);
    });

    it('takes a legacy map event and writes the route to Redis', async () => {
      const res = await post(mapBody('terminal', 7681));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{}'); // the legacy answer, to a client that does not ask for JSON
      // Asked for JSON, the answer names the URLs (GATEWAY_FQDN is localhost:<port> in development).
      const asked = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: mapBody('terminal', 7681),
        headers: { authorization: token, 'content-type': 'application/json', accept: 'application/json' },
      });
      const at = (label: string) => `http://${label}.org-${ORG}.localhost:${gw.port}/`;
      expect(await asked.json()).toEqual({ urls: [at('uc-smoke1'), at('uc-smoke1--terminal')] });
      expect(await store.resolve(`uc-smoke1.org-${ORG}.localhost`)).toMatchObject({
        port: 7681,
        upstream: '127.0.0.1',
        service: 'terminal',
      });
    });

    it('takes a legacy watchdog, and refuses the two-GPU body with a raw newline', async () => {
      expect((await post(legacyWatchdogBody())).status).toBe(200);
      expect((await store.health('smoke1')).stats?.gpus).toHaveLength(1);
      const bad = await post(legacyWatchdogBody('a\nb'));
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'GW_ERR_BAD_JSON' } });
    });

    it('refuses a bad token and an injected port with JSON errors', async () => {
      expect((await post(mapBody('x', 80), 'garbage')).status).toBe(401);
      const res = await post(mapBody('terminal', '80; }'));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'GW_ERR_BAD_EVENT' } });
      expect((await store.listRoutes()).map((r) => r.port)).toEqual([7681, 7681]);
    });
  });
}
