/** Store command latency and failures as plain counters, rendered in the Prometheus text format. */
import { STORE_FAILURE_REASONS, type StoreFailureReason } from './store.ts';

/** Latency buckets in seconds: a healthy store answers in about a millisecond, the deadline is ~1 s. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class StoreMetrics {
  readonly #buckets = new Float64Array(BUCKETS.length + 1);
  #sum = 0;
  #count = 0;
  readonly #failures = new Map<StoreFailureReason, number>(STORE_FAILURE_REASONS.map((r) => [r, 0]));

  /** A command answered or failed after `ms`. */
  latency(ms: number): void {
    const seconds = ms / 1000;
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    this.#buckets[i] = (this.#buckets[i] ?? 0) + 1;
    this.#sum += seconds;
    this.#count++;
  }

  failure(reason: StoreFailureReason): void {
    this.#failures.set(reason, (this.#failures.get(reason) ?? 0) + 1);
  }

  failures(reason: StoreFailureReason): number {
    return this.#failures.get(reason) ?? 0;
  }

  render(): string {
    const out = [
      '# HELP gateway_store_command_duration_seconds Time from sending a store command to its answer or failure.',
      '# TYPE gateway_store_command_duration_seconds histogram',
    ];
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += this.#buckets[i] ?? 0;
      out.push(`gateway_store_command_duration_seconds_bucket{le="${b}"} ${cumulative}`);
    });
    out.push(
      `gateway_store_command_duration_seconds_bucket{le="+Inf"} ${this.#count}`,
      `gateway_store_command_duration_seconds_sum ${this.#sum}`,
      `gateway_store_command_duration_seconds_count ${this.#count}`,
      '# HELP gateway_store_failures_total Failed store commands and connection attempts, by reason.',
      '# TYPE gateway_store_failures_total counter',
    );
    for (const [reason, n] of this.#failures)
      out.push(`gateway_store_failures_total{reason="${reason}"} ${n}`);
    return `${out.join('\n')}\n`;
  }
}
