/**
 * Event-loop lag by timer drift: a timer every 500 ms notes how late it fired. perf_hooks'
 * monitorEventLoopDelay would be finer, but on Deno 2.9 it is a stub that reports 0 while the loop is
 * blocked (measured: 150 ms blocked, max 0.0), and drift means the same thing on all three runtimes.
 */
import { setInterval } from 'node:timers';
import { family, type MetricsPart } from './exposition.ts';

const INTERVAL_MS = 500;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface EventLoopLag extends MetricsPart {
  stop(): void;
}

export function watchEventLoopLag(now: () => number = () => performance.now()): EventLoopLag {
  const counts = new Float64Array(BUCKETS.length + 1);
  let sum = 0;
  let count = 0;
  let expected = now() + INTERVAL_MS;
  const timer = setInterval(() => {
    const at = now();
    const lag = Math.max(0, at - expected) / 1000;
    expected = at + INTERVAL_MS;
    let i = 0;
    while (i < BUCKETS.length && lag > (BUCKETS[i] as number)) i++;
    counts[i] = (counts[i] ?? 0) + 1;
    sum += lag;
    count++;
  }, INTERVAL_MS);
  timer.unref();
  return {
    render() {
      let cumulative = 0;
      const lines = BUCKETS.map((b, i) => {
        cumulative += counts[i] ?? 0;
        return `gateway_event_loop_lag_seconds_bucket{le="${b}"} ${cumulative}`;
      });
      lines.push(
        `gateway_event_loop_lag_seconds_bucket{le="+Inf"} ${count}`,
        `gateway_event_loop_lag_seconds_sum ${sum}`,
        `gateway_event_loop_lag_seconds_count ${count}`,
      );
      return family(
        'gateway_event_loop_lag_seconds',
        'histogram',
        `How late a ${INTERVAL_MS} ms timer fired: time the event loop was busy with something else.`,
        lines,
      );
    },
    stop: () => clearInterval(timer),
  };
}
