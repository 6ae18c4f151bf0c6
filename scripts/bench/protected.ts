/**
 * Proxy requests/s for one service served public and the same service protected (`project` access, with a
 * valid session cookie), measured in one run on one gateway process, interleaved. Issue 6's goal: the
 * protected route at most 10% slower (the session check must not touch the store per request).
 * Gateway pinned to CPU 1; wrk and the nginx origin on CPU 0.
 * Usage: npx tsx scripts/bench/protected.ts [--reps 3] [--duration 8]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SessionKeeper } from '../../gateway/auth/sessions.ts';
import { startGateway } from '../../test/support/gateway-process.ts';
import { startOrigin } from './lib/origin.ts';
import { processTree, treeCpuSeconds } from './lib/process-tree.ts';
import { parseWrk } from './lib/wrk.ts';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '3' }, duration: { type: 'string', default: '8' } },
});
const reps = Math.min(Number(values.reps), 10);
const seconds = Math.min(Number(values.duration), 30);
const ORG = 'o1';
const PROJECT = 'p1';
const cpu = (pid: number) => [...treeCpuSeconds(pid).values()].reduce((a, b) => a + b, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const work = mkdtempSync(join(tmpdir(), 'dg-bench-protected-'));
const origin = await startOrigin(work, '0');
// A long liveness timeout: the containers here beat once, and the run outlasts the default 45 s.
const gw = await startGateway('node', {
  LOG_LEVEL: 'warn',
  DEFAULT_ACCESS: 'project',
  LIVENESS_TIMEOUT: '1h',
});
try {
  for (const pid of processTree(gw.pid))
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(pid)], { stdio: 'ignore' });
  const hosts = { public: `uc-open.org-${ORG}.localhost`, protected: `uc-closed.org-${ORG}.localhost` };
  for (const [container, access] of [
    ['open', 'public'],
    ['closed', 'project'],
  ]) {
    const token = await gw.token(container as string, PROJECT, ORG);
    for (const event of [
      `{"type":"user-container:map-http-service","name":"web","port":${origin.port},"access":"${access}"}`,
      '{"type":"user-container:watchdog","system":{}}',
    ]) {
      const res = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
      if (res.status !== 200) throw new Error(`registration answered ${res.status}`);
    }
  }
  // A session as the callback would set it, signed with the gateway's development secret.
  const sessions = new SessionKeeper(
    new TextEncoder().encode(readFileSync(join(gw.dataDir, 'session.key'), 'utf8').trim()),
    3600,
  );
  const viewer = { userId: 'u1', username: 'bench', grants: new Set([`project:${PROJECT}:member`]) };
  const { token: session } = await sessions.sign(viewer, hosts.protected, Date.now() / 1000 + 3600);
  const wrk = (host: string, secs: number, cookie?: string) =>
    parseWrk(
      execFileSync(
        'taskset',
        [
          '-c',
          '0',
          'wrk',
          '-t1',
          '-c50',
          `-d${secs}s`,
          '--latency',
          '-H',
          `Host: ${host}`,
          ...(cookie ? ['-H', `Cookie: ${cookie}`] : []),
          gw.base,
        ],
        {
          encoding: 'utf8',
          timeout: (secs + 30) * 1000,
        },
      ),
    );
  const check = (host: string, cookie?: string) => {
    const r = wrk(host, 1, cookie);
    if (r.errors > 0) throw new Error(`${host} answered errors (non-2xx) in the preflight`);
  };
  check(hosts.public);
  check(hosts.protected, `dg_session=${session}`);
  const results: Record<'public' | 'protected', { rps: number[]; cpu: number[]; p99: number[] }> = {
    public: { rps: [], cpu: [], p99: [] },
    protected: { rps: [], cpu: [], p99: [] },
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of ['public', 'protected'] as const) {
      const before = cpu(gw.pid);
      const r = wrk(hosts[kind], seconds, kind === 'protected' ? `dg_session=${session}` : undefined);
      if (r.errors > 0) throw new Error(`${kind}: ${r.errors} errors of ${r.requests}`);
      results[kind].rps.push(r.requestsPerSecond);
      results[kind].cpu.push(((cpu(gw.pid) - before) * 1e6) / r.requests);
      results[kind].p99.push(r.p99Ms);
      process.stderr.write(`[rep ${rep + 1}] ${kind}: ${r.requestsPerSecond.toFixed(0)} req/s\n`);
    }
  }
  const line = (kind: 'public' | 'protected') =>
    `| ${kind} | ${median(results[kind].rps).toFixed(0)} | ${median(results[kind].p99).toFixed(2)} | ${median(results[kind].cpu).toFixed(1)} |`;
  console.log(
    `| route | req/s (median of ${reps}) | p99 ms | CPU µs/req |\n|---|---:|---:|---:|\n${line('public')}\n${line('protected')}`,
  );
  console.log(
    `protected / public req/s: ${(median(results.protected.rps) / median(results.public.rps)).toFixed(3)}`,
  );
} finally {
  await gw.stop();
  await origin.stop();
  rmSync(work, { recursive: true, force: true });
}
