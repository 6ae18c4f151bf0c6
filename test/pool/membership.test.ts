/**
 * Pool membership on a real redis-server, with short intervals: two gateways beat, one stops beating
 * (as a killed one does) and the other declares it dead and drops its locations; joins, leaves, a
 * dead gateway that comes back, draining, and a store outage logged once.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../gateway/log.ts';
import { Membership } from '../../gateway/pool/membership.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const HEARTBEAT = 100;
const DEAD_AFTER = 300;

interface Line {
  msg: string;
  fields: Record<string, unknown>;
}
const recorder = () => {
  const lines: Line[] = [];
  const push = (msg: string, fields: Record<string, unknown> = {}) => lines.push({ msg, fields });
  const log: Logger = { debug: push, info: push, warn: push, error: push, line: () => {} };
  return { lines, log, named: (msg: string) => lines.filter((l) => l.msg === msg) };
};

/** Polls `condition` up to `limitMs` (a bound for a stuck test, not a timing assertion). */
async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 10_000) {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('Membership on Redis', () => {
  const open: { stop(): Promise<void> }[] = [];
  let inspect: RedisPoolState;

  const gateway = async (id: string, heartbeatMs = HEARTBEAT) => {
    const store = new RedisStore(redis.url);
    const state = new RedisPoolState(redis.url, 500);
    const rec = recorder();
    const membership = new Membership({
      state,
      feed: store,
      self: {
        id,
        backbone: null,
        vpnRemote: `${id}.example.test:1194`,
        version: 'test',
        startedAt: Date.now(),
      },
      heartbeatMs,
      deadAfterMs: DEAD_AFTER,
      log: rec.log,
    });
    const closeAll = async () => {
      await membership.stop({ leave: false });
      await state.close();
      await store.close();
    };
    open.push({ stop: closeAll });
    return { membership, state, ...rec };
  };

  beforeEach(async () => {
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    inspect = new RedisPoolState(redis.url);
  });
  afterEach(async () => {
    for (const g of open.splice(0)) await g.stop();
    await inspect.close();
  });

  it('declares a gateway that stopped beating dead, once, and drops its locations only', async () => {
    const a = await gateway('gw-a');
    const b = await gateway('gw-b');
    const c = await gateway('gw-c');
    await Promise.all([a.membership.start(), b.membership.start(), c.membership.start()]);
    await a.state.setLocation('c1', 'gw-a', Date.now());
    await a.state.setLocation('c2', 'gw-a', Date.now());
    await b.state.setLocation('c3', 'gw-b', Date.now());
    await until('everyone sees three members', () =>
      [a, b, c].every((g) => g.membership.liveMembers().length === 3),
    );
    expect(a.named('gateway joined')).toEqual([
      { msg: 'gateway joined', fields: { gatewayId: 'gw-a', rejoined: false } },
    ]);

    await a.membership.stop({ leave: false }); // killed: no leave
    await until('gw-a removed from the store', async () =>
      (await inspect.members()).every((m) => m.id !== 'gw-a'),
    );
    await until('gw-b and gw-c see two members', () =>
      [b, c].every((g) => g.membership.members().length === 2),
    );
    expect((await inspect.locations()).map((l) => l.containerId)).toEqual(['c3']);
    // Both saw it; the store's answers make one of them the one that declared it (and dropped both).
    const dead = [...b.named('gateway dead'), ...c.named('gateway dead')];
    expect(dead).toHaveLength(1);
    expect(dead[0]?.fields).toMatchObject({ gatewayId: 'gw-a', containersDropped: 2 });
    expect((dead[0]?.fields.lastBeatAgoMs as number) > DEAD_AFTER).toBe(true);
    expect(b.membership.liveMembers().map((m) => m.id)).toEqual(expect.arrayContaining(['gw-b', 'gw-c']));
  });

  it('leaves on a clean stop, at once, with one line', async () => {
    const a = await gateway('gw-a');
    const b = await gateway('gw-b');
    await a.membership.start();
    await b.membership.start();
    await until('b sees a', () => b.membership.members().some((m) => m.id === 'gw-a'));
    await a.membership.stop();
    expect(a.named('gateway left')).toEqual([{ msg: 'gateway left', fields: { gatewayId: 'gw-a' } }]);
    expect((await inspect.members()).map((m) => m.id)).toEqual(['gw-b']);
    await until('b follows the feed', () => b.membership.members().every((m) => m.id !== 'gw-a'));
    expect(b.named('gateway dead')).toEqual([]);
  });

  it('joins again after being declared dead, and says so to its listeners', async () => {
    // gw-slow beats far less often than its peer's POOL_DEAD_AFTER: its peer declares it dead between beats.
    const slow = await gateway('gw-slow', 1_500);
    const b = await gateway('gw-b');
    let joins = 0;
    slow.membership.onJoined(() => joins++);
    await slow.membership.start();
    await b.membership.start();
    expect(joins).toBe(1);
    await until('gw-slow declared dead', () => b.named('gateway dead').length === 1);
    await until('gw-slow joined again', () => joins === 2);
    expect(slow.named('gateway joined').map((l) => l.fields.rejoined)).toEqual([false, true]);
  });

  it('beats at once when draining, and peers see it', async () => {
    const a = await gateway('gw-a', 60_000); // no second beat during the test: setDraining must beat
    const b = await gateway('gw-b');
    await a.membership.start();
    await b.membership.start();
    await until('b sees a alive', () =>
      b.membership.members().some((m) => m.id === 'gw-a' && b.membership.stateOf(m) === 'alive'),
    );
    await a.membership.setDraining(true);
    expect(a.membership.draining).toBe(true);
    await until('b sees a draining', () =>
      b.membership.members().some((m) => m.id === 'gw-a' && b.membership.stateOf(m) === 'draining'),
    );
  });

  it('logs a failed heartbeat once per outage, and its end', async () => {
    const a = await gateway('gw-a');
    await a.membership.start();
    redis.pause();
    try {
      // Several beats fail (each within the 500 ms deadline) while Redis is hung.
      await until('the outage is seen', () => a.named('pool heartbeat failed').length > 0);
      await new Promise((r) => setTimeout(r, 6 * HEARTBEAT + 1_000));
    } finally {
      redis.resume();
    }
    await until('the heartbeat is back', () => a.named('pool heartbeat restored').length > 0);
    expect(a.named('pool heartbeat failed')).toHaveLength(1);
    expect(a.named('pool heartbeat failed')[0]?.fields).toMatchObject({
      gatewayId: 'gw-a',
      code: 'GW_ERR_STORE_UNAVAILABLE',
    });
  });
});
