/**
 * Container online / offline lines and the online gauge, with two gateways on one store (memory: one
 * instance; Redis: two clients of one server): each transition is said once across both, by the gateway
 * that recorded the deciding beat; a store that cannot answer delays the offline line, never loses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivenessWatch } from '../../gateway/control/liveness-watch.ts';
import { createLogger } from '../../gateway/log.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import type { Store } from '../../gateway/store/store.ts';
import { LIVENESS, reg, stats, T0 } from '../store/fixtures.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeKinds } from '../support/store-kinds.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Gateway {
  name: string;
  store: Store;
  watch: LivenessWatch;
}

/** Lets change messages (Redis pub/sub) arrive: those that should not come get 100 ms to show up. */
const settle = () => new Promise((r) => setTimeout(r, 100));
/** Waits (at most 5 s, the machine may be busy) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
}

for (const [kind, makeStore] of storeKinds(() => redis.url)) {
  describe(`liveness lines (${kind} store)`, () => {
    it('says online and offline once across two gateways, from the one whose beat decided', async () => {
      let now = T0;
      const lines: { gateway: string; msg: string; containerId?: string; requestId?: string }[] = [];
      const first = await makeStore();
      const second = kind === 'memory' ? first : new RedisStore(redis.url);
      const gateways: Gateway[] = [];
      for (const [name, store] of [
        ['a', first],
        ['b', second],
      ] as const) {
        const log = createLogger('info', (l) => void lines.push({ gateway: name, ...JSON.parse(l) }));
        const watch = new LivenessWatch({ store, log, livenessTimeoutMs: LIVENESS, now: () => now });
        await watch.start();
        gateways.push({ name, store, watch });
      }
      const [a, b] = gateways as [Gateway, Gateway];
      const beat = async (gw: Gateway, at: number) => {
        now = at;
        gw.watch.beat('c1', at, `req-${gw.name}-${at}`);
        await gw.store.recordWatchdog(reg('c1'), stats(), at, LIVENESS);
        await settle();
      };
      const said = () =>
        lines.filter((l) => l.msg.startsWith('container ')).map((l) => `${l.gateway} ${l.msg}`);
      try {
        await beat(a, T0);
        await until(() => said().length >= 1);
        expect(said()).toEqual(['a container online']);
        expect(lines[0]).toMatchObject({ containerId: 'c1', requestId: `req-a-${T0}` });
        await beat(b, T0 + 15_000); // a load balancer sent this one elsewhere
        await beat(a, T0 + 30_000);
        expect(said()).toEqual(['a container online']);
        expect([a.watch.online(), b.watch.online()]).toEqual([1, 1]);

        now = T0 + 30_000 + LIVENESS;
        await Promise.all([a.watch.sweep(), b.watch.sweep()]);
        expect(said()).toEqual(['a container online', 'a container offline']);
        expect([a.watch.online(), b.watch.online()]).toEqual([0, 0]);
        await Promise.all([a.watch.sweep(), b.watch.sweep()]);
        expect(said()).toHaveLength(2);

        await beat(b, T0 + 100_000);
        await until(() => said().length >= 3);
        expect(said()).toEqual(['a container online', 'a container offline', 'b container online']);

        // c2 went quiet after a beat on a, and comes back through b before a swept: only b says so.
        now = T0 + 100_000;
        a.watch.beat('c2', now, undefined);
        await a.store.recordWatchdog(reg('c2'), stats(), now, LIVENESS);
        now += LIVENESS + 1_000;
        b.watch.beat('c2', now, undefined);
        await b.store.recordWatchdog(reg('c2'), stats(), now, LIVENESS);
        await until(() => lines.filter((l) => l.containerId === 'c2').length >= 2);
        await settle();
        expect(lines.filter((l) => l.containerId === 'c2').map((l) => `${l.gateway} ${l.msg}`)).toEqual([
          'a container online',
          'b container online',
        ]);
        expect(a.watch.render()).toContain('gateway_containers_online 0\n');
        expect(b.watch.render()).toContain('gateway_containers_online 1\n');
      } finally {
        for (const gw of gateways) await gw.watch.stop();
        await first.close();
        if (second !== first) await second.close();
      }
    });
  });
}

describe('liveness watch', () => {
  it('keeps a suspect while the store cannot answer, and says offline once it can', async () => {
    let now = T0;
    let storeDown = true;
    const lines: string[] = [];
    const memory = new MemoryStore();
    const store = Object.assign(Object.create(memory) as Store, {
      health: (id: string) => (storeDown ? Promise.reject(new Error('down')) : memory.health(id)),
    });
    const watch = new LivenessWatch({
      store,
      log: createLogger('info', (l) => void lines.push(JSON.parse(l).msg)),
      livenessTimeoutMs: LIVENESS,
      now: () => now,
    });
    watch.beat('c1', T0, undefined);
    await memory.recordWatchdog(reg('c1'), stats(), T0, LIVENESS);
    now = T0 + LIVENESS;
    await watch.sweep();
    expect(lines).toEqual([]);
    storeDown = false;
    await watch.sweep();
    expect(lines).toEqual(['container offline']);
  });

  it('forgets a beat the store refused, and a container the store no longer has', async () => {
    let now = T0;
    const lines: string[] = [];
    const store = new MemoryStore();
    const watch = new LivenessWatch({
      store,
      log: createLogger('info', (l) => void lines.push(JSON.parse(l).msg)),
      livenessTimeoutMs: LIVENESS,
      now: () => now,
    });
    const undo = watch.beat('c1', T0, undefined);
    undo();
    expect(watch.online()).toBe(0);
    watch.beat('c2', T0, undefined);
    await store.recordWatchdog(reg('c2'), stats(), T0, LIVENESS);
    await store.removeContainer('c2');
    now = T0 + LIVENESS;
    await watch.sweep();
    expect(lines).toEqual([]);
    expect(watch.render()).toBe(
      '# HELP gateway_containers_online Containers whose last watchdog reached this gateway within LIVENESS_TIMEOUT.\n# TYPE gateway_containers_online gauge\ngateway_containers_online 0\n',
    );
  });
});
