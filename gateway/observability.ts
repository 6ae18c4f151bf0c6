/**
 * The operator's view that is not the proxy's: event intake and sign-in counters, refused-request lines,
 * container online/offline lines and gauge, process and build metrics. Built once in gateway.ts; its
 * `render` joins these with the other parts' metrics (proxy, security log, store) for `/metrics`.
 */
import type { Config } from './config.ts';
import { CollabOutcomes } from './control/collab-outcomes.ts';
import { LivenessWatch } from './control/liveness-watch.ts';
import type { Logger } from './log.ts';
import { buildInfoMetrics, readBuildInfo } from './metrics/build-info.ts';
import { EventIntakeMetrics } from './metrics/event-intake-metrics.ts';
import { watchEventLoopLag } from './metrics/event-loop-lag.ts';
import { type MetricsPart, renderParts } from './metrics/exposition.ts';
import { processMetrics } from './metrics/process-metrics.ts';
import { SignInMetrics } from './metrics/sign-in-metrics.ts';
import { createRefusalLog } from './refusal-log.ts';
import type { Store } from './store/store.ts';

export interface Observability {
  signIns: SignInMetrics;
  outcomes: CollabOutcomes;
  liveness: LivenessWatch;
  /** The Prometheus exposition: `others` (proxy, security log, store, ...) first, then these parts. */
  render(others: readonly MetricsPart[]): string;
  stop(): Promise<void>;
}

export async function buildObservability(config: Config, log: Logger, store: Store): Promise<Observability> {
  const signIns = new SignInMetrics();
  const intake = new EventIntakeMetrics();
  const refusals = createRefusalLog(log);
  const liveness = new LivenessWatch({ store, log, livenessTimeoutMs: config.LIVENESS_TIMEOUT });
  await liveness.start();
  const lag = watchEventLoopLag();
  const own: MetricsPart[] = [
    intake,
    signIns,
    liveness,
    processMetrics(),
    lag,
    buildInfoMetrics(readBuildInfo()),
  ];
  return {
    signIns,
    outcomes: new CollabOutcomes(intake, refusals),
    liveness,
    render: (others) => renderParts([...others, ...own]),
    async stop() {
      lag.stop();
      refusals.stop();
      await liveness.stop();
    },
  };
}
