/**
 * One runtime, start to end: a fresh gateway and app, registration, every case in order (each bounded),
 * and everything stopped again whatever happens.
 */
import type { Runtime } from '../../gateway/server/runtime.ts';
import { startEchoApp } from './app.ts';
import type { Cleanup } from './cleanup.ts';
import { prepare } from './context.ts';
import { knownDifference } from './known.ts';
import { launchGateway } from './launch.ts';
import type { CaseOutcome, ProbeCase } from './probe-case.ts';
import { type CaseResult, KNOWN_LABEL, type RuntimeReport } from './report.ts';

/** No case may take longer than this, whatever it waits for. */
const CASE_BOUND_MS = 20_000;

function bounded(work: Promise<CaseOutcome>): Promise<CaseOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<CaseOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ expected: '', seen: 'no outcome', problems: [`the case took over ${CASE_BOUND_MS} ms`] }),
      CASE_BOUND_MS,
    );
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

export async function probeRuntime(
  runtime: Runtime,
  cases: ProbeCase[],
  cleanup: Cleanup,
  /** Another checkout whose gateway is probed (default: this one). */
  gatewayRoot?: string,
): Promise<RuntimeReport> {
  const report: RuntimeReport = { runtime, version: runtime, results: [] };
  const stops: (() => Promise<void>)[] = [];
  try {
    const gateway = await launchGateway(runtime, cleanup, gatewayRoot);
    stops.push(gateway.stop);
    report.version = gateway.version;
    report.gateway = { pid: gateway.pid, port: gateway.port, adminPort: gateway.adminPort };
    const app = await startEchoApp();
    stops.push(cleanup.add(() => app.close()));
    const { ctx, stopHeartbeat } = await prepare(runtime, gateway, app);
    stops.push(cleanup.add(stopHeartbeat));
    for (const c of cases) {
      const started = Date.now();
      const outcome = await bounded(
        c.run(ctx).catch((err: unknown) => ({
          expected: '',
          seen: 'probe error',
          problems: [`probe error: ${err instanceof Error ? err.message : String(err)}`],
        })),
      );
      report.results.push(verdictOf(runtime, c, outcome, Date.now() - started));
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    if (gateway.exitCode() !== null)
      report.error = `the gateway exited (code ${gateway.exitCode()}) during the run: ${gateway.output().slice(-400)}`;
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
  return report;
}

function verdictOf(runtime: Runtime, c: ProbeCase, o: CaseOutcome, ms: number): CaseResult {
  const base = { id: c.id, group: c.group, expected: o.expected, seen: o.seen, problems: o.problems, ms };
  if (o.problems.length === 0) return { ...base, verdict: 'PASS' };
  const known = knownDifference(runtime, c.id, o.observation);
  return known ? { ...base, verdict: KNOWN_LABEL, known: known.point } : { ...base, verdict: 'FAIL' };
}
