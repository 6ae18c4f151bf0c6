/**
 * Route change visible on all three gateways (issue 16, Measure), on the pool test bed: a probe in the
 * front namespace registers a new service of a running container through gw1, gw2, gw3 in turn (a map
 * event with the container's token on the gateway's public listener) and polls every gateway on
 * keep-alive until each answers 200 for the new hostname. Times are from the event's 200 (and from
 * before the post) to the last of the three gateways serving it. With --together N, N services are
 * posted at once per change (Traefik with Redis: 231 ms median, 1.7 s at 50 concurrent changes).
 * Usage (root): npx tsx scripts/bench/pool-route-change.ts [--changes 100] [--together 1] [--runs 1]
 */
import { parseArgs } from 'node:util';
import { createPool } from '../../test/e2e/support/pool-topology.ts';
import {
  DOMAIN,
  FQDN,
  ORG,
  PROJECT,
  quantile,
  runProbe,
  sleep,
  spread,
  startLightContainer,
  waitForTunnels,
} from './lib/pool-bed.ts';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '100' },
    together: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
  },
});
const changes = Math.min(Math.max(1, Number(values.changes)), 2_000);
const together = Math.min(Math.max(1, Number(values.together)), 200);
const runs = Math.min(Math.max(1, Number(values.runs)), 20);

const pool = await createPool({ containers: 1, domain: DOMAIN, fqdn: FQDN });
try {
  const uc1 = await startLightContainer(pool, 1);
  await waitForTunnels(pool, [uc1], 90_000);
  for (const g of [1, 2, 3]) {
    const deadline = Date.now() + 60_000;
    while ((await pool.direct(g, uc1.host, '/whoami')).status !== 200) {
      if (Date.now() > deadline) throw new Error(`${uc1.host} not served through gw${g}`);
      await sleep(500);
    }
  }
  const token = await pool.token({ containerId: uc1.containerId, projectId: PROJECT, orgId: ORG });
  const rows: { p50: number; p99: number; max: number; postP50: number; gw: number[] }[] = [];
  for (let run = 0; run < runs; run++) {
    const r = await runProbe<{ sinceAnswer: number[]; sincePost: number[]; byGateway: number[][] }>(
      pool,
      {
        mode: 'routes',
        gateways: pool.gateways.map((g) => g.backbone),
        token,
        containerId: uc1.containerId,
        orgId: ORG,
        domain: DOMAIN,
        port: 7681,
        changes,
        together,
        waitMs: 10_000,
        prefix: `run${run}`,
      },
      changes * 12_000 + 30_000,
    );
    const row = {
      p50: quantile(r.sinceAnswer, 0.5),
      p99: quantile(r.sinceAnswer, 0.99),
      max: quantile(r.sinceAnswer, 1),
      postP50: quantile(r.sincePost, 0.5),
      gw: r.byGateway.map((s) => quantile(s, 0.5)),
    };
    rows.push(row);
    console.error(
      `run ${run + 1}: ${r.sinceAnswer.length} changes of ${together} service(s): all three gateways serve it p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, max ${row.max.toFixed(2)} ms after the event's 200 (p50 ${row.postP50.toFixed(2)} ms from before the post); per gateway p50 ${row.gw.map((x) => x.toFixed(2)).join(' / ')} ms`,
    );
  }
  console.log(
    `route change visible on all three gateways, ${changes} changes of ${together} service(s) a change, ${runs} run(s), median (min to max) over runs:\n` +
      `  after the event's 200: p50 ${spread(rows.map((r) => r.p50))} ms, p99 ${spread(rows.map((r) => r.p99))} ms, max ${spread(rows.map((r) => r.max))} ms\n` +
      `  from before the post: p50 ${spread(rows.map((r) => r.postP50))} ms`,
  );
} finally {
  await pool.destroy();
}
