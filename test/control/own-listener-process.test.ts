/**
 * A real gateway with the VPN off refuses a token holder on its own machine who maps the gateway's admin or
 * public port as a service (issue 14, finding 6): /admin/* never becomes reachable through the public listener.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const hostOf = (container: string, service: string) => `uc-${container}--${service}.org-${ORG}.localhost`;

describe("a gateway's own listeners are never a service, VPN off", () => {
  let up: TestUpstream;
  const gateways: GatewayProcess[] = [];
  beforeAll(async () => {
    up = await startUpstream();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gw) => gw.stop()));
    await up?.close();
  });

  // HOST 127.0.0.1 is the test harness's default; 0.0.0.0 is the production default.
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    it(`HOST ${host}: the admin and public ports from loopback are refused, another port is accepted`, async () => {
      const gw = await startGateway('node', { HOST: host });
      gateways.push(gw);
      const token = await gw.token('c1', PROJECT, ORG);
      const map = async (name: string, port: number) => {
        const res = await fetch(`${gw.base}/collab/event`, {
          method: 'POST',
          body: mapBody(name, port),
          headers: { authorization: token },
        });
        return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
      };
      const viaPublic = async (hostname: string, path: string) => {
        const res = await request(`${gw.base}${path}`, { headers: { host: hostname } });
        return { status: res.statusCode, body: await res.body.text() };
      };

      for (const [name, port] of [
        ['admin', gw.adminPort],
        ['front', gw.port],
      ] as const) {
        expect(await map(name, port)).toEqual({
          status: 403,
          body: { error: { code: 'GW_ERR_OWN_LISTENER', message: expect.stringContaining(String(port)) } },
        });
        const res = await viaPublic(hostOf('c1', name), '/admin/routes');
        expect(res.status).toBe(404);
        expect(res.body).not.toContain('"hostname"');
      }
      const routes = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/routes`).then((r) => r.json());
      expect(routes).toEqual([]);
      expect(gw.output()).toContain('own_listener_refused');
      expect(gw.output()).not.toContain(token);

      expect((await map('web', up.port)).status).toBe(200);
      const beat = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: legacyWatchdogBody(),
        headers: { authorization: token },
      });
      expect(beat.status).toBe(200);
      expect(await viaPublic(hostOf('c1', 'web'), '/hello')).toMatchObject({ status: 200 });
    }, 30_000);
  }
});
