/** The four loads of the WebSocket bench, each filling its figures of one sample. */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpGet } from './http-probe.ts';
import { cpuSecondsBetween, treeCpuSeconds, treeOpenDescriptors, treeRssBytes } from './process-tree.ts';
import type { RunningProxy } from './proxy-under-test.ts';
import { runWrk } from './wrk.ts';
import type {
  BurstResult,
  CheckResult,
  ChurnResult,
  OpenResult,
  TypeResult,
  WsTarget,
} from './ws-protocol.ts';
import type { WsRig, WsSample } from './ws-rig.ts';
import { onAll } from './ws-workers.ts';

/** Handshakes in flight per worker while the idle sockets open. */
const OPEN_CONCURRENCY = 50;
/** Idle sockets' echo probe during the burst: frames a second per socket, and the window before it. */
const PROBE_HZ = 2;
const PROBE_BEFORE_MS = 3_000;
const PROBE_MAX_MS = 300_000;
const MIB = 1024 * 1024;

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function heapUsedBytes(running: RunningProxy): Promise<number | undefined> {
  if (running.metricsPort === undefined) return undefined;
  const { body } = await httpGet(running.metricsPort, '/metrics', `127.0.0.1:${running.metricsPort}`);
  const value = /^process_heap_used_bytes (\d+)/m.exec(body.toString())?.[1];
  return value === undefined ? undefined : Number(value);
}

/** CPU seconds of the proxy's tree spent in `work`; undefined for direct. */
async function charged<T>(pid: number | undefined, work: () => Promise<T>): Promise<[T, number | undefined]> {
  const before = pid === undefined ? undefined : treeCpuSeconds(pid);
  const result = await work();
  return [
    result,
    before === undefined || pid === undefined ? undefined : cpuSecondsBetween(before, treeCpuSeconds(pid)),
  ];
}

const perUnit = (seconds: number | undefined, units: number, scale = 1e6) =>
  seconds === undefined || units === 0 ? undefined : (seconds * scale) / units;

export async function idle(
  rig: WsRig,
  running: RunningProxy,
  target: WsTarget,
  f: WsSample['figures'],
  notes: string[],
) {
  const { pid } = running;
  const sample = () => ({
    rss: pid === undefined ? undefined : treeRssBytes(pid),
    fds: pid === undefined ? undefined : treeOpenDescriptors(pid),
  });
  const base = sample();
  const baseHeap = await heapUsedBytes(running);
  f.idleRssMb = base.rss === undefined ? undefined : base.rss / MIB;
  f.idleHeapMb = baseHeap === undefined ? undefined : baseHeap / MIB;
  const started = performance.now();
  const opened = await onAll<OpenResult>(
    rig.holders,
    (count) => ({ kind: 'open', target, count, concurrency: OPEN_CONCURRENCY }),
    rig.loads.idle,
  );
  f.openSeconds = (performance.now() - started) / 1000;
  const count = opened.reduce((sum, r) => sum + r.opened, 0);
  f.openFailed = rig.loads.idle - count;
  const error = opened.find((r) => r.firstError)?.firstError;
  if (error) notes.push(`open: ${f.openFailed} failed (${error})`);
  if (count === 0) throw new Error(`no WebSocket opened: ${error}`);
  await sleep(1_000);
  const held = sample();
  const heldHeap = await heapUsedBytes(running);
  f.rssKbPerSocket =
    held.rss === undefined || base.rss === undefined ? undefined : (held.rss - base.rss) / 1024 / count;
  f.heapKbPerSocket =
    heldHeap === undefined || baseHeap === undefined ? undefined : (heldHeap - baseHeap) / 1024 / count;
  f.fdsPerSocket =
    held.fds === undefined || base.fds === undefined ? undefined : (held.fds - base.fds) / count;
  await sleep(rig.loads.hold * 1000);
  const checked = await Promise.all(
    rig.holders.map((w) => w.call<CheckResult>({ kind: 'check', concurrency: 100 })),
  );
  f.echoedAfterHold = checked.reduce((sum, r) => sum + r.echoed, 0);
  f.silentAfterHold = checked.reduce((sum, r) => sum + r.failed, 0);
}

export async function typing(rig: WsRig, pid: number | undefined, f: WsSample['figures']) {
  const { typing: sockets, typingHz: hz, typingSeconds } = rig.loads;
  const [results, cpu] = await charged(pid, () =>
    onAll<TypeResult>(
      rig.holders,
      (share) => ({ kind: 'type', sockets: share, hz, durationMs: typingSeconds * 1000 }),
      sockets,
    ),
  );
  const latencies = results.flatMap((r) => r.latenciesMs);
  f.messagesPerSecond = latencies.length / typingSeconds;
  f.typingP50Ms = percentile(latencies, 50);
  f.typingP99Ms = percentile(latencies, 99);
  f.typingMissed = results.reduce((sum, r) => sum + r.missed, 0);
  f.cpuMicrosPerMessage = perUnit(cpu, latencies.length);
}

/** Burst: idle sockets' echo latency before, then during one burst on another socket. */
export async function burst(rig: WsRig, pid: number | undefined, target: WsTarget, f: WsSample['figures']) {
  const probe = (durationMs: number) =>
    onAll<TypeResult>(
      rig.holders,
      (share) => ({ kind: 'type', sockets: share, hz: PROBE_HZ, durationMs }),
      rig.loads.burstIdle,
    );
  const before = (await probe(PROBE_BEFORE_MS)).flatMap((r) => r.latenciesMs);
  const during = probe(PROBE_MAX_MS);
  const [result, cpu] = await charged(pid, async () => {
    try {
      return await rig.burster.call<BurstResult>({ kind: 'burst', target, bytes: rig.loads.burstMib * MIB });
    } finally {
      await Promise.all(rig.holders.map((w) => w.call({ kind: 'stop' })));
      await during.catch(() => []);
    }
  });
  const duringLatencies = (await during).flatMap((r) => r.latenciesMs);
  f.burstMibPerSecond = result.bytes / MIB / (result.ms / 1000);
  f.cpuMsPerMib = perUnit(cpu, result.bytes / MIB, 1e3);
  f.probeP50BeforeMs = percentile(before, 50);
  f.probeP99BeforeMs = percentile(before, 99);
  f.probeP50DuringMs = percentile(duringLatencies, 50);
  f.probeP99DuringMs = percentile(duringLatencies, 99);
  f.probeSamplesDuring = duringLatencies.length;
}

export async function churn(
  rig: WsRig,
  running: RunningProxy,
  target: WsTarget,
  f: WsSample['figures'],
  notes: string[],
) {
  const { handshakes, churnConcurrency, churnSeconds } = rig.loads;
  const perWorker = Math.max(1, Math.ceil(churnConcurrency / rig.holders.length));
  const started = performance.now();
  const [results, cpu] = await charged(running.pid, () =>
    onAll<ChurnResult>(
      rig.holders,
      (count) => ({ kind: 'churn', target, count, concurrency: perWorker }),
      handshakes,
    ),
  );
  const done = results.reduce((sum, r) => sum + r.done, 0);
  f.handshakesPerSecond = done / ((performance.now() - started) / 1000);
  f.cpuMicrosPerHandshake = perUnit(cpu, done);
  f.handshakesFailed = handshakes - done;
  const error = results.find((r) => r.firstError)?.firstError;
  if (error) notes.push(`churn: ${f.handshakesFailed} failed (${error})`);
  await sleep(500);
  const [wrk, httpCpu] = await charged(running.pid, () =>
    runWrk({
      cpus: rig.loadCpus,
      port: running.port,
      path: '/',
      hostHeader: running.hostHeader,
      connections: churnConcurrency,
      durationSeconds: churnSeconds,
      headers: ['Connection: close'],
    }),
  );
  f.httpRequestsPerSecond = wrk.requestsPerSecond;
  f.cpuMicrosPerHttpRequest = perUnit(httpCpu, wrk.requests);
  f.httpErrors = wrk.errors;
}
