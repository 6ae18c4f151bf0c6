import { httpGet } from './http-probe.ts';
import { cpuSecondsBetween, treeCpuSeconds, treePeakRssBytes } from './process-tree.ts';
import type { ProxyUnderTest, StartContext } from './proxy-under-test.ts';
import { runWrk } from './wrk.ts';

export interface LoadShape {
  path: string;
  bodyBytes: number;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** CPU list shared by wrk and the origin. */
  loadCpus: string;
}

/** One measured run of one proxy in one repetition. */
export interface Sample {
  proxy: string;
  repetition: number;
  bodyBytes: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Undefined for `direct` (no proxy process). */
  cpuMicrosPerRequest: number | undefined;
  peakRssMb: number | undefined;
  /** Non-2xx/3xx responses and socket errors seen by wrk during the measured run. */
  errors: number;
}

/** Fails unless the proxy answers 200 with the origin's body: otherwise wrk would measure error pages. */
async function preflight(port: number, host: string, load: LoadShape): Promise<void> {
  const { status, body } = await httpGet(port, load.path, host, 5_000);
  if (status !== 200 || body.length !== load.bodyBytes)
    throw new Error(
      `preflight GET ${load.path} (Host ${host}) answered ${status} with ${body.length} bytes, ` +
        `expected 200 with ${load.bodyBytes}: ${body.subarray(0, 300).toString()}`,
    );
}

/** Starts the proxy fresh, warms it up, measures one wrk run with its CPU and memory, stops it. */
export async function measureOnce(
  proxy: ProxyUnderTest,
  context: StartContext,
  load: LoadShape,
  repetition: number,
): Promise<Sample> {
  const running = await proxy.start(context);
  try {
    await preflight(running.port, running.hostHeader, load);
    const wrk = {
      cpus: load.loadCpus,
      port: running.port,
      path: load.path,
      hostHeader: running.hostHeader,
      connections: load.connections,
    };
    if (load.warmupSeconds > 0) await runWrk({ ...wrk, durationSeconds: load.warmupSeconds });
    const pid = running.pid;
    const before = pid === undefined ? undefined : treeCpuSeconds(pid);
    const result = await runWrk({ ...wrk, durationSeconds: load.durationSeconds });
    const cpuSeconds =
      pid === undefined || before === undefined ? undefined : cpuSecondsBetween(before, treeCpuSeconds(pid));
    return {
      proxy: proxy.name,
      repetition,
      bodyBytes: load.bodyBytes,
      requestsPerSecond: result.requestsPerSecond,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      cpuMicrosPerRequest:
        cpuSeconds === undefined || result.requests === 0 ? undefined : (cpuSeconds * 1e6) / result.requests,
      peakRssMb: pid === undefined ? undefined : treePeakRssBytes(pid) / (1024 * 1024),
      errors: result.errors,
    };
  } finally {
    await running.stop();
  }
}
