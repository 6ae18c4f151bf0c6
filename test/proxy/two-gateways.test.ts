/** Two gateway processes on one Redis: a change made through one is served by the other, via the change feed. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { hostOf } from './proxy-suite.ts';

/** Polls until `check` holds (bounded); returns whether it did. */
async function eventually(check: () => Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('route changes across gateways', () => {
  let redis: TestRedis;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let up1: TestUpstream;
  let up2: TestUpstream;
  beforeAll(async () => {
    redis = await startRedis();
    [up1, up2] = await Promise.all([startUpstream(), startUpstream()]);
    a = await startGateway('node', { REDIS_URL: redis.url });
    // B trusts its cache for 10 minutes: only the change feed can make it see a change in time.
    b = await startGateway('node', {
      REDIS_URL: redis.url,
      ROUTE_CACHE_TTL: '10m',
      ROUTE_CACHE_NEGATIVE_TTL: '10m',
    });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([up1?.close(), up2?.close()]);
    await redis?.stop();
  });

  it('serves on B what was registered, moved and removed through A', async () => {
    const host = hostOf('shared');
    const viaB = async () => {
      const res = await request(`${b.base}/`, { headers: { host, accept: 'application/json' } });
      await res.body.dump();
      return { status: res.statusCode };
    };
    expect((await viaB()).status).toBe(404); // now cached as unknown on B
    const token = await a.token('shared', PROJECT, ORG);
    const post = (body: string) =>
      fetch(`${a.base}/collab/event`, { method: 'POST', body, headers: { authorization: token } });
    expect((await post(mapBody('web', up1.port))).status).toBe(200);
    expect((await post('{"event":{"type":"user-container:watchdog","system":{}}}')).status).toBe(200);
    expect(await eventually(async () => (await viaB()).status === 200)).toBe(true);

    // Moving the port: B forwards to the new upstream.
    let hitsOnUp2 = 0;
    up2.server.prependListener('request', () => hitsOnUp2++);
    expect((await post(mapBody('web', up2.port))).status).toBe(200);
    expect(await eventually(async () => (await viaB()).status === 200 && hitsOnUp2 > 0)).toBe(true);

    expect((await post('{"event":{"type":"user-container:unmap-http-service","name":"web"}}')).status).toBe(
      200,
    );
    expect(await eventually(async () => (await viaB()).status === 404)).toBe(true);
  });
});
