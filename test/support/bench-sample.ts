import type { Sample } from '../../scripts/bench/lib/measure.ts';

/** One measured bench run with the figures a report test varies; the rest derived or fixed. */
export const benchSample = (
  proxy: string,
  repetition: number,
  requestsPerSecond: number,
  p99Ms: number,
  bodyBytes = 100,
): Sample => ({
  proxy,
  repetition,
  bodyBytes,
  requestsPerSecond,
  p50Ms: p99Ms / 2,
  p99Ms,
  cpuMicrosPerRequest: 1e6 / requestsPerSecond,
  peakRssMb: 10,
  errors: 0,
});
