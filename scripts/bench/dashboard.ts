/**
 * Dashboard with 10,000 containers (issue 17): how long the admin listener takes to answer a page
 * (server-side filter and paging, 50 rows) and how long Chromium takes to load and render it, on the
 * memory store and on a real redis-server. A measuring tool: nothing here asserts a time.
 *
 *   npx tsx scripts/bench/dashboard.ts [--containers 10000] [--reps 20] [--store memory,redis] [--store-timeout 1000]
 */
import { parseArgs } from 'node:util';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import type { Store } from '../../gateway/store/store.ts';
import { serveDashboard } from '../../test/dashboard/harness.ts';
import { LIVENESS, reg, stats, svc } from '../../test/store/fixtures.ts';
import { launchLoopbackChromium } from '../../test/support/chromium.ts';
import { startRedis } from '../../test/support/redis-server.ts';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '20' },
    store: { type: 'string', default: 'memory,redis' },
    /** STORE_TIMEOUT of the Redis store (the gateway's default is 1 s). */
    'store-timeout': { type: 'string', default: '1000' },
  },
});
const N = Number(values.containers);
const REPS = Number(values.reps);

async function fill(store: Store): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < N; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - start) }, async (_, k) => {
        const i = start + k;
        const id = `c-${String(i).padStart(5, '0')}`;
        await store.mapService(reg(id), svc(id, 'web', 8000 + (i % 100)), now - i * 1000);
        // Two thirds report a watchdog (online), a third never did.
        if (i % 3 !== 0) await store.recordWatchdog(reg(id), stats(i % 4), now, LIVENESS);
      }),
    );
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const summary = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return `median ${quantile(s, 0.5).toFixed(1)} ms, p95 ${quantile(s, 0.95).toFixed(1)} ms`;
};

const PAGES: [string, string][] = [
  ['first page', '/dashboard'],
  ['page 150', '/dashboard?page=150'],
  ['search', '/dashboard?q=c-0123'],
  ['state=online', '/dashboard?state=online'],
  ['live refresh fragment', '/dashboard/containers'],
];

const browser = await launchLoopbackChromium();
const redis = values.store.includes('redis') ? await startRedis() : undefined;
try {
  for (const kind of values.store.split(',')) {
    const store: Store =
      kind === 'redis'
        ? new RedisStore(redis?.url as string, { timeoutMs: Number(values['store-timeout']) })
        : new MemoryStore();
    const filling = performance.now();
    await fill(store);
    process.stderr.write(
      `${kind}: ${N} containers stored in ${((performance.now() - filling) / 1000).toFixed(1)} s\n`,
    );
    const h = await serveDashboard(store);
    try {
      // The first page reads the whole tables; later ones reuse them until a change (store-snapshot.ts).
      const cold = performance.now();
      const first = await fetch(`${h.base}/dashboard`);
      await first.text();
      console.log(
        `${kind}  ${N} containers  ${'cold first page'.padEnd(22)} server answer: ${(performance.now() - cold).toFixed(1)} ms (status ${first.status})`,
      );
      for (const [name, path] of PAGES) {
        const samples: number[] = [];
        let bytes = 0;
        for (let r = 0; r < REPS; r++) {
          const t0 = performance.now();
          const res = await fetch(`${h.base}${path}`);
          bytes = (await res.text()).length;
          samples.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        }
        console.log(
          `${kind}  ${N} containers  ${name.padEnd(22)} server answer: ${summary(samples)} (${bytes} bytes)`,
        );
      }
      const page = await browser.newPage();
      const loads: number[] = [];
      for (let r = 0; r < Math.min(REPS, 10); r++) {
        const t0 = performance.now();
        await page.goto(`${h.base}/dashboard`, { waitUntil: 'load' });
        await page.locator('table.containers tbody tr').nth(49).waitFor();
        loads.push(performance.now() - t0);
      }
      console.log(
        `${kind}  ${N} containers  ${'Chromium load'.padEnd(22)} navigation to load event: ${summary(loads)}`,
      );
      await page.close();
    } finally {
      await h.close();
      await store.close();
    }
  }
} finally {
  await browser.close();
  await redis?.stop();
}
