/**
 * Revocation on real gateway processes with the VPN off (issue 14, finding 10): after a revoke through the
 * admin API, the same token's map and watchdog are refused on every gateway (also one that had seen the
 * container, and so skips the container-creating script), and the hostname stays 404.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const hostOf = (container: string) => `uc-${container.replaceAll('_', '-')}.org-${ORG}.localhost`;

/** Polls until `check` holds (bounded); returns whether it did. */
async function eventually(check: () => Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const status = async (gw: GatewayProcess, host: string) => {
  const res = await request(`${gw.base}/`, { headers: { host, accept: 'application/json' } });
  await res.body.dump();
  return res.statusCode;
};
const post = async (gw: GatewayProcess, token: string, body: string) => {
  const res = await fetch(`${gw.base}/collab/event`, {
    method: 'POST',
    body,
    headers: { authorization: token },
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
};
const revoke = async (gw: GatewayProcess, id: string) => {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/containers/${id}/revoke`, {
    method: 'POST',
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('revocation on a real gateway, VPN off', () => {
  let redis: TestRedis;
  let up: TestUpstream;
  let embedded: GatewayProcess;
  let a: GatewayProcess;
  let b: GatewayProcess;
  beforeAll(async () => {
    [redis, up] = await Promise.all([startRedis(), startUpstream()]);
    embedded = await startGateway('node');
    a = await startGateway('node', { REDIS_URL: redis.url });
    // B shares A's development key, so one container token works on both.
    b = await startGateway('node', { REDIS_URL: redis.url, DATA_DIR: a.dataDir });
  });
  afterAll(async () => {
    await Promise.all([embedded?.stop(), b?.stop()]);
    await a?.stop();
    await Promise.all([up?.close(), redis?.stop()]);
  });

  const scenario = async (registerOn: GatewayProcess, revokeOn: GatewayProcess, all: GatewayProcess[]) => {
    const cid = 'uc_revoked';
    // The revoking gateway holds the development key (B only shares it through DATA_DIR).
    const token = await revokeOn.token(cid, PROJECT, ORG);
    expect((await post(registerOn, token, mapBody('web', up.port))).status).toBe(200);
    expect((await post(registerOn, token, legacyWatchdogBody())).status).toBe(200);
    for (const gw of all)
      expect(await eventually(async () => (await status(gw, hostOf(cid))) === 200)).toBe(true);

    expect(await revoke(revokeOn, cid)).toEqual({
      status: 200,
      body: { containerId: cid, alreadyRevoked: false, routesRemoved: true, vpnClientsKilled: 0 },
    });
    for (const gw of all) {
      expect(await eventually(async () => (await status(gw, hostOf(cid))) === 404)).toBe(true);
      for (const body of [mapBody('web', up.port), legacyWatchdogBody()]) {
        const refused = await post(gw, token, body);
        expect(refused.status).toBe(403);
        expect(refused.body.error?.code).toBe('GW_ERR_CONTAINER_REVOKED');
      }
      expect(await status(gw, hostOf(cid))).toBe(404);
      expect(gw.output()).toContain('revoked_container_refused');
      expect(gw.output()).not.toContain(token);
    }
    const routes = await fetch(`http://127.0.0.1:${revokeOn.adminPort}/admin/routes`).then((r) => r.json());
    expect(routes).toEqual([]);
    expect((await revoke(revokeOn, cid)).body).toMatchObject({ alreadyRevoked: true });
    const unknown = await revoke(revokeOn, 'uc_never_seen');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'GW_ERR_UNKNOWN_CONTAINER' } });
  };

  it('on the embedded store', () => scenario(embedded, embedded, [embedded]), 30_000);

  it(
    'on Redis, revoked through A, refused on B which had seen the container',
    () => scenario(b, a, [a, b]),
    30_000,
  );
});
