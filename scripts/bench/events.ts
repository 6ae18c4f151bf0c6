/**
 * Watchdog events per second through the whole HTTP path into Redis (issue 2's goal: >= 5,000/s on one
 * gateway process). The gateway (one process) is pinned to CPU 1; wrk (POSTing legacy watchdog bodies for
 * N containers, each with its own token) and redis-server share CPU 0.
 * Usage: npx tsx scripts/bench/events.ts [--seconds 10] [--connections 64] [--containers 1000] [--runtime node]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { legacyWatchdogBody, ORG, PROJECT } from '../../test/support/control.ts';
import { startGateway } from '../../test/support/gateway-process.ts';
import { startRedis } from '../../test/support/redis-server.ts';
import { processTree, treeCpuSeconds } from './lib/process-tree.ts';
import { parseWrk } from './lib/wrk.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    containers: { type: 'string', default: '1000' },
    runtime: { type: 'string', default: 'node' },
  },
});
const seconds = Math.min(Number(values.seconds), 60);
const connections = Math.min(Number(values.connections), 512);
const containers = Math.min(Number(values.containers), 100_000);
const cpuOf = (pid: number) => [...treeCpuSeconds(pid).values()].reduce((a, b) => a + b, 0);

const redis = await startRedis();
const gw = await startGateway(values.runtime as Runtime, { REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'dg-bench-events-'));
try {
  for (const pid of processTree(gw.pid))
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(redis.pid)], { stdio: 'ignore' });
  const tokens = await Promise.all(
    Array.from({ length: containers }, (_, i) => gw.token(`bench${i}`, PROJECT, ORG)),
  );
  const script = join(dir, 'watchdog.lua');
  writeFileSync(
    script,
    `local tokens = {${tokens.map((t) => `"${t}"`).join(',')}}
local body = [[${legacyWatchdogBody()}]]
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/collab/event", { ["Authorization"] = tokens[(i % #tokens) + 1], ["Content-Type"] = "application/json" }, body)
end
`,
  );
  const wrk = (secs: number) =>
    parseWrk(
      execFileSync(
        'taskset',
        ['-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${secs}s`, '--latency', '-s', script, gw.base],
        {
          encoding: 'utf8',
          timeout: (secs + 30) * 1000,
        },
      ),
    );
  wrk(3); // warm-up: token verification cache, script load, JIT
  const cpuBefore = cpuOf(gw.pid);
  const result = wrk(seconds);
  const cpuUs = ((cpuOf(gw.pid) - cpuBefore) * 1e6) / result.requests;
  console.log(
    `runtime=${values.runtime} connections=${connections} containers=${containers} seconds=${seconds}\n` +
      `watchdog events/s ${result.requestsPerSecond.toFixed(0)}  errors ${result.errors}  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  ` +
      `gateway CPU ${cpuUs.toFixed(1)} us/event (one core's capacity: ${(1e6 / cpuUs).toFixed(0)} events/s)\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await gw.stop();
  await redis.stop();
}
