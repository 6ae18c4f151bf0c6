/**
 * What a Node HTTP server costs before any proxying: CPU per request of a server that answers 100 bytes
 * itself, through node:http, through the gateway's HTTP/1.1 front end, and as a bare `net` server (the
 * floor). Pinned as the proxy bench: the server alone on CPU 1, wrk -t1 -c50 on CPU 0; interleaved
 * repetitions, medians. Why the Node public listener has its own front end: gateway/server/http1/README.md.
 * Usage: npx tsx scripts/bench/server-floor.ts [--reps 3] [--duration 6]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, launchPinned, waitForHttp } from './lib/launch.ts';
import { cpuSecondsBetween, treeCpuSeconds } from './lib/process-tree.ts';
import { runWrk } from './lib/wrk.ts';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '3' }, duration: { type: 'string', default: '6' } },
});
const reps = Math.min(Math.max(1, Number(values.reps)), 20);
const duration = Math.min(Math.max(1, Number(values.duration)), 60);
const KINDS = ['node-http', 'front-end', 'net'] as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const workDir = mkdtempSync(join(tmpdir(), 'dg-bench-floor-'));
const samples = new Map<string, { rps: number; cpuUs: number; p99: number }[]>(KINDS.map((k) => [k, []]));
try {
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of KINDS) {
      const port = await freePort();
      const server = launchPinned({
        cpus: '1',
        command: process.execPath,
        args: ['--import', 'tsx', join(import.meta.dirname, 'lib', 'floor-server.ts'), kind, String(port)],
        logDir: workDir,
        name: kind,
      });
      try {
        await waitForHttp(server, port, '/');
        const load = { cpus: '0', port, path: '/', hostHeader: 'floor', connections: 50 };
        await runWrk({ ...load, durationSeconds: 2 });
        const before = treeCpuSeconds(server.pid);
        const result = await runWrk({ ...load, durationSeconds: duration });
        const cpu = cpuSecondsBetween(before, treeCpuSeconds(server.pid));
        const sample = {
          rps: result.requestsPerSecond,
          cpuUs: (cpu / result.requests) * 1e6,
          p99: result.p99Ms,
        };
        samples.get(kind)?.push(sample);
        console.error(
          `[rep ${rep + 1}/${reps}] ${kind}: ${Math.round(sample.rps)} req/s, ${sample.cpuUs.toFixed(1)} µs/req`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  console.log(`\n## A server answering 100 bytes itself, -c50 (median of ${reps}, ${duration} s runs)\n`);
  console.log('| server | req/s | p99 ms | CPU µs/req |\n|---|---:|---:|---:|');
  for (const [kind, list] of samples)
    console.log(
      `| ${kind} | ${Math.round(median(list.map((s) => s.rps))).toLocaleString('en-US')} | ` +
        `${median(list.map((s) => s.p99)).toFixed(2)} | ${median(list.map((s) => s.cpuUs)).toFixed(1)} |`,
    );
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
