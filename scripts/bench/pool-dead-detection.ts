/**
 * How long a pool takes to declare a silent gateway dead (issue 16, design point 1): two Memberships on
 * one private redis-server with the default settings (POOL_HEARTBEAT 2s, POOL_DEAD_AFTER 6s); gateway A
 * stops beating at a random moment (no leave, as a killed one does); we time from A's last beat until
 * B has removed it and dropped its locations. Expected: between 6 s and about 6 + 2 x 2 s.
 * Usage: npx tsx scripts/bench/pool-dead-detection.ts [--runs 5] [--heartbeat 2000] [--dead-after 6000]
 */
import { parseArgs } from 'node:util';
import type { Logger } from '../../gateway/log.ts';
import { Membership } from '../../gateway/pool/membership.ts';
import type { GatewayMember } from '../../gateway/pool/pool-state.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { startRedis } from '../../test/support/redis-server.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    heartbeat: { type: 'string', default: '2000' },
    'dead-after': { type: 'string', default: '6000' },
  },
});
const runs = Math.min(Math.max(1, Number(values.runs)), 50);
const heartbeatMs = Number(values.heartbeat);
const deadAfterMs = Number(values['dead-after']);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, line() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = await startRedis();
const results: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const store = new RedisStore(redis.url);
    const state = new RedisPoolState(redis.url);
    const member = (id: string) =>
      new Membership({
        state,
        feed: store,
        self: { id, backbone: null, vpnRemote: null, version: 'bench', startedAt: Date.now() },
        heartbeatMs,
        deadAfterMs,
        log: quiet,
      });
    const a = member(`gw-a-${run}`);
    const b = member(`gw-b-${run}`);
    await a.start();
    await sleep(Math.random() * heartbeatMs);
    await b.start();
    await state.setLocation(`c-${run}`, a.id, Date.now());
    await sleep(heartbeatMs + Math.random() * heartbeatMs);
    await a.stop({ leave: false });
    const lastBeat =
      (await state.members()).find((m: GatewayMember) => m.id === a.id)?.lastBeat ?? Date.now();
    const limit = Date.now() + deadAfterMs + 10 * heartbeatMs;
    while (Date.now() < limit) {
      const gone = (await state.members()).every((m) => m.id !== a.id);
      const dropped = (await state.locations()).every((l) => l.gatewayId !== a.id);
      if (gone && dropped) break;
      await sleep(20);
    }
    results.push(Date.now() - lastBeat);
    await b.stop();
    await state.close();
    await store.close();
    process.stdout.write(`run ${run + 1}: ${results.at(-1)} ms from the last beat to dead and dropped\n`);
  }
} finally {
  await redis.stop();
}
const sorted = [...results].sort((x, y) => x - y);
const median = sorted[Math.floor(sorted.length / 2)];
process.stdout.write(
  `heartbeat ${heartbeatMs} ms, dead after ${deadAfterMs} ms, ${runs} runs: ` +
    `min ${sorted[0]} ms, median ${median} ms, max ${sorted.at(-1)} ms (polled every 20 ms)\n`,
);
