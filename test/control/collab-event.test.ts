import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecurityReason } from '../../gateway/security-log.ts';
import type { Store } from '../../gateway/store/store.ts';
import {
  ADMIN_PORT,
  controlHarness,
  DOMAIN,
  legacyWatchdogBody,
  mapBody,
  ORG,
  PROJECT,
  PUBLIC_PORT,
} from '../support/control.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeKinds } from '../support/store-kinds.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const host = (c: string, s?: string) => `uc-${c}${s ? `--${s}` : ''}.org-${ORG}.${DOMAIN}`;

/** Everything an event could change, to prove that refused input changed nothing. */
async function snapshot(store: Store) {
  return {
    routes: await store.listRoutes(),
    containers: await store.listContainers(),
    version: await store.routesVersion(),
    health: await store.health('c1'),
    history: await store.statsHistory('c1'),
  };
}

for (const [name, makeStore] of storeKinds(() => redis.url)) {
  describe(`POST /collab/event (${name} store)`, () => {
    let store: Store;
    let h: Awaited<ReturnType<typeof controlHarness>>;
    let token: string;
    beforeEach(async () => {
      store = await makeStore();
      h = await controlHarness(store, { bodyLimitBytes: 4096 });
      token = await h.token();
      return () => store.close();
    });

    it('registers a legacy map event: 200 {} (its URLs when asked for JSON), both hostnames route to the source address', async () => {
      const res = await h.post(token, mapBody('terminal', 7681));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      const asked = await h.post(token, mapBody('terminal', 7681), undefined, { accept: 'application/json' });
      expect(await asked.json()).toEqual({
        urls: [`https://${host('c1')}/`, `https://${host('c1', 'terminal')}/`],
      });
      expect(await store.resolve(host('c1'))).toMatchObject({
        upstream: '127.0.0.1',
        port: 7681,
        service: 'terminal',
      });
      expect(await store.resolve(host('c1', 'terminal'))).toMatchObject({ port: 7681 });
    });

    it("registers the legacy images' service names (docs/legacy-protocol.md, section 4)", async () => {
      for (const name of ['terminal', 'jupyterlab', 'pgadmin4', 'n8n'])
        expect((await h.post(token, mapBody(name, 8000))).status).toBe(200);
      expect((await store.listServices('c1')).map((s) => s.name).sort()).toEqual([
        'jupyterlab',
        'n8n',
        'pgadmin4',
        'terminal',
      ]);
    });

    it('accepts a service on another port from loopback, and the admin port from another machine', async () => {
      expect((await h.post(token, mapBody('web', 3000), '127.0.0.1')).status).toBe(200);
      const other = await h.token('c2');
      expect((await h.post(other, mapBody('web', ADMIN_PORT), '203.0.113.5')).status).toBe(200);
      expect(await store.resolve(host('c2', 'web'))).toMatchObject({
        upstream: '203.0.113.5',
        port: ADMIN_PORT,
      });
      expect(h.security.events).toEqual([]);
    });

    it('accepts Bearer and token prefixes, and a body without project_id', async () => {
      expect((await h.post(`Bearer ${token}`, mapBody('a', 1000))).status).toBe(200);
      expect((await h.post(`token ${token}`, mapBody('b', 1001, undefined))).status).toBe(200);
      expect(await store.listServices('c1')).toHaveLength(2);
    });

    it('is idempotent and updates a changed port in place', async () => {
      await h.post(token, mapBody('terminal', 7681));
      await h.post(token, mapBody('terminal', 7681));
      const v = await store.routesVersion();
      await h.post(token, mapBody('terminal', 7682));
      expect(await store.routesVersion()).toBe(v + 1);
      const routes = await store.listRoutes();
      expect(routes.map((r) => r.port)).toEqual([7682, 7682]);
    });

    it('stores the legacy watchdog normalised', async () => {
      const res = await h.post(token, legacyWatchdogBody());
      expect(res.status).toBe(200);
      const health = await store.health('c1');
      expect(health.lastWatchdog).toBeGreaterThan(0);
      expect(health.stats).toEqual({
        cpu: { load: [0.08, 0.18, 0.11], count: 4, threadsPerCore: 2, model: 'Intel(R) X' },
        memory: { availableMb: 13935, totalMb: 15926 },
        disk: { sizeBytes: 251 * 2 ** 30, usedPercent: 13 },
        network: { pingMs: 0.052 },
        gpus: ['00:02.0 VGA compatible controller: X'],
      });
    });

    it('unmaps a service, and records activity', async () => {
      await h.post(token, mapBody('terminal', 7681));
      await h.post(token, '{"event":{"type":"user-container:watchdog","system":{}}}');
      const at = Date.now() - 1000;
      expect(
        (await h.post(token, `{"event":{"type":"user-container:activity","last_activity":${at}}}`)).status,
      ).toBe(200);
      expect((await store.health('c1')).lastActivity).toBe(at);
      expect(
        (await h.post(token, '{"event":{"type":"user-container:unmap-http-service","name":"terminal"}}'))
          .status,
      ).toBe(200);
      expect(await store.listRoutes()).toEqual([]);
    });

    describe('bad input gets a 4xx JSON error and changes nothing', () => {
      beforeEach(async () => {
        await h.post(token, mapBody('terminal', 7681));
        await h.post(token, legacyWatchdogBody());
      });

      const refused = async (res: Response, status: number, code: string) => {
        expect(res.status).toBe(status);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe(code);
        expect(body.error.message.length).toBeGreaterThan(0);
        return body.error.message;
      };
      const unchanged = async (act: () => Promise<void>) => {
        const before = await snapshot(store);
        await act();
        expect(await snapshot(store)).toEqual(before);
      };

      it('invalid JSON', () =>
        unchanged(
          async () => void (await refused(await h.post(token, '{"event":'), 400, 'GW_ERR_BAD_JSON')),
        ));
      it('the legacy two-GPU watchdog with a raw newline inside a string', () =>
        unchanged(
          async () =>
            void (await refused(
              await h.post(token, legacyWatchdogBody('00:02.0 VGA\n01:00.0 VGA')),
              400,
              'GW_ERR_BAD_JSON',
            )),
        ));
      it('wrong types', () =>
        unchanged(async () => {
          await refused(
            await h.post(token, '{"event":{"type":"user-container:map-http-service","port":7681,"name":7}}'),
            400,
            'GW_ERR_BAD_EVENT',
          );
          await refused(await h.post(token, '{"event":"map"}'), 400, 'GW_ERR_BAD_EVENT');
          await refused(await h.post(token, '[]'), 400, 'GW_ERR_BAD_EVENT');
          await refused(
            await h.post(token, '{"event":{"type":"user-container:watchdog","system":"x"}}'),
            400,
            'GW_ERR_BAD_EVENT',
          );
        }));
      for (const port of [0, 65536, '80; }', '7681', 1.5, -1]) {
        it(`port ${JSON.stringify(port)}`, () =>
          unchanged(
            async () =>
              void (await refused(await h.post(token, mapBody('terminal', port)), 400, 'GW_ERR_BAD_EVENT')),
          ));
      }
      it('a service name with spaces, and one of 100 characters', () =>
        unchanged(async () => {
          await refused(await h.post(token, mapBody('has space', 80)), 400, 'GW_ERR_BAD_EVENT');
          await refused(await h.post(token, mapBody('a'.repeat(100), 80)), 400, 'GW_ERR_BAD_EVENT');
          await refused(await h.post(token, mapBody('Upper', 80)), 400, 'GW_ERR_BAD_EVENT');
        }));
      it('a service name whose hostname the proxy would refuse (trailing "-")', () =>
        unchanged(async () => {
          for (const name of ['web-', 'web--'])
            await refused(await h.post(token, mapBody(name, 80)), 400, 'GW_ERR_BAD_EVENT');
        }));
      it('a service name too long for the container id: its hostname label would pass 63', () =>
        unchanged(
          async () =>
            void (await refused(
              await h.post(await h.token('c'.repeat(20)), mapBody('s'.repeat(50), 80)),
              400,
              'GW_ERR_BAD_HOSTNAME',
            )),
        ));
      it("a service on the gateway's own admin or public port, from loopback (direct mode)", () =>
        unchanged(async () => {
          for (const [port, from] of [
            [ADMIN_PORT, '127.0.0.1'],
            [PUBLIC_PORT, '127.0.0.1'],
            [ADMIN_PORT, '::ffff:127.0.0.1'],
            [PUBLIC_PORT, '::1'],
          ] as const)
            await refused(await h.post(token, mapBody('admin', port), from), 403, 'GW_ERR_OWN_LISTENER');
          expect(h.security.events).toEqual(
            Array(4).fill([
              SecurityReason.OwnListenerRefused,
              expect.objectContaining({ containerId: 'c1' }),
            ]),
          );
          expect(JSON.stringify(h.security.events)).not.toContain(token);
        }));
      it("an upstream change that would move a registered service onto the gateway's own port", async () => {
        const other = await h.token('c9');
        expect((await h.post(other, mapBody('web', ADMIN_PORT), '203.0.113.5')).status).toBe(200);
        await unchanged(
          async () =>
            void (await refused(
              await h.post(other, mapBody('x', 3000), '127.0.0.1'),
              403,
              'GW_ERR_OWN_LISTENER',
            )),
        );
        expect((await store.resolve(host('c9', 'web')))?.upstream).toBe('203.0.113.5');
      });
      it('an unknown event type', () =>
        unchanged(async () => {
          const message = await refused(
            await h.post(token, '{"event":{"type":"core:delete-node","id":"x"}}'),
            400,
            'GW_ERR_BAD_EVENT',
          );
          expect(message).toContain('unknown event type');
        }));
      it('a missing token', () =>
        unchanged(
          async () =>
            void (await refused(await h.post(undefined, mapBody('x', 80)), 401, 'GW_ERR_UNAUTHORIZED')),
        ));
      it('an expired token', () =>
        unchanged(async () => {
          const message = await refused(
            await h.post(await h.token('c1', PROJECT, ORG, -10), mapBody('x', 80)),
            401,
            'GW_ERR_UNAUTHORIZED',
          );
          expect(message).toContain('expired');
        }));
      it('a malformed token', () =>
        unchanged(async () => {
          await refused(await h.post('not-a-jwt', mapBody('x', 80)), 401, 'GW_ERR_UNAUTHORIZED');
          await refused(
            await h.post('eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2lnbmF0dXJl', mapBody('x', 80)),
            401,
            'GW_ERR_UNAUTHORIZED',
          );
        }));
      it('a wrongly signed token', () =>
        unchanged(
          async () =>
            void (await refused(
              await h.post(await h.foreignToken(), mapBody('x', 80)),
              401,
              'GW_ERR_UNAUTHORIZED',
            )),
        ));
      it("a token of another project (body project_id is this one's)", () =>
        unchanged(async () => {
          const other = await h.token('c1', '11111111-2222-4333-8444-555555555555');
          await refused(await h.post(other, mapBody('x', 80, PROJECT)), 403, 'GW_ERR_PROJECT_MISMATCH');
        }));
      it('a project_id that does not match the token', () =>
        unchanged(
          async () =>
            void (await refused(
              await h.post(token, mapBody('x', 80, '11111111-2222-4333-8444-555555555555')),
              403,
              'GW_ERR_PROJECT_MISMATCH',
            )),
        ));
      it('a body over the limit', () =>
        unchanged(async () => {
          const big = `{"event":{"type":"user-container:watchdog","system":{"cpu":{"model":"${'x'.repeat(5000)}"}}}}`;
          await refused(await h.post(token, big), 413, 'GW_ERR_BODY_TOO_LARGE');
        }));
      it('a hostname collision with another container', async () => {
        await h.post(await h.token('uc_dup'), mapBody('web', 80));
        await unchanged(
          async () =>
            void (await refused(
              await h.post(await h.token('uc-dup'), mapBody('web', 81)),
              409,
              'GW_ERR_HOSTNAME_CONFLICT',
            )),
        );
        expect(await store.getContainer('uc-dup')).toBeNull();
      });
      it('a container id that makes no hostname', () =>
        unchanged(
          async () =>
            void (await refused(
              await h.post(await h.token('a--b'), mapBody('web', 80)),
              400,
              'GW_ERR_BAD_HOSTNAME',
            )),
        ));
    });
  });
}
