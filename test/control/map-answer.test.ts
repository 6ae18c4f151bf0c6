/**
 * A map event's answer names the URLs its service answers on to a client that asks for JSON; others get
 * the legacy `{}`. The status stays 200.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/store.ts';
import { controlHarness, DOMAIN, mapBody, ORG, PROJECT } from '../support/control.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeKinds } from '../support/store-kinds.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const JSON_ACCEPT = { accept: 'application/json' };
const url = (s?: string) => `https://uc-c1${s ? `--${s}` : ''}.org-${ORG}.${DOMAIN}/`;
const primaryMap = (name: string, port: number) =>
  `{"event":{"type":"user-container:map-http-service","port":${port},"name":"${name}","primary":true},"project_id":"${PROJECT}"}`;

for (const [name, makeStore] of storeKinds(() => redis.url)) {
  describe(`map answer (${name} store)`, () => {
    let store: Store;
    let h: Awaited<ReturnType<typeof controlHarness>>;
    let token: string;
    beforeEach(async () => {
      store = await makeStore();
      h = await controlHarness(store);
      token = await h.token();
      return () => store.close();
    });
    const map = async (body: string) => {
      const res = await h.post(token, body, undefined, JSON_ACCEPT);
      expect(res.status).toBe(200);
      return res.json();
    };

    it('answers the legacy {} to a client that does not ask for JSON (curl, the legacy bootstrap)', async () => {
      const variants: Record<string, string>[] = [{}, { accept: '*/*' }, { accept: 'text/plain' }];
      for (const headers of variants) {
        const res = await h.post(token, mapBody('terminal', 7681), undefined, headers);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('{}');
      }
    });

    it('names the primary alias and the own hostname of the first service, the same on every repeat', async () => {
      const first = { urls: [url(), url('terminal')] };
      expect(await map(mapBody('terminal', 7681))).toEqual(first);
      expect(await map(mapBody('terminal', 7681))).toEqual(first);
    });

    it('names only its own hostname for a later service, and the alias too once it asks for it', async () => {
      await map(mapBody('terminal', 7681));
      expect(await map(mapBody('jupyterlab', 8888))).toEqual({ urls: [url('jupyterlab')] });
      expect(await map(primaryMap('jupyterlab', 8888))).toEqual({ urls: [url(), url('jupyterlab')] });
      expect(await map(mapBody('terminal', 7681))).toEqual({ urls: [url('terminal')] });
    });

    it('uses the URL form the gateway is reached at', async () => {
      const dev = await controlHarness(store, {
        publicUrl: (hostname) => `http://${hostname}:8080/`,
      });
      const res = await dev.post(await dev.token(), mapBody('web', 3000), undefined, JSON_ACCEPT);
      expect(await res.json()).toEqual({
        urls: [`http://uc-c1.org-${ORG}.${DOMAIN}:8080/`, `http://uc-c1--web.org-${ORG}.${DOMAIN}:8080/`],
      });
    });
  });
}
