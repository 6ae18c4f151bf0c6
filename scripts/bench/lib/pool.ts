/**
 * Pools the repetitions of several `proxy.ts --json` runs, so a goal near its threshold can be judged on
 * more pairs than one run holds. Each repetition stays paired with nginx of its own run and repetition:
 * repetitions are renumbered across runs, never matched by their number alone.
 */
import { z } from 'zod';
import type { Sample } from './measure.ts';
import type { ProxyName } from './report.ts';

const SampleSchema = z.object({
  proxy: z.string().min(1),
  repetition: z.number().int().positive(),
  bodyBytes: z.number().int().nonnegative(),
  requestsPerSecond: z.number().nonnegative(),
  p50Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  cpuMicrosPerRequest: z.number().nonnegative().optional(),
  peakRssMb: z.number().nonnegative().optional(),
  errors: z.number().int().nonnegative(),
});

/** What `proxy.ts --json` writes, as far as pooling needs it. */
export const RunFileSchema = z.object({
  rows: z.array(z.object({ proxy: z.string().min(1), label: z.string() })),
  samples: z.array(SampleSchema).min(1),
});
export type RunFile = z.infer<typeof RunFileSchema>;

export interface PooledRuns {
  /** Every proxy seen, in first-seen order, with its label. */
  proxies: ProxyName[];
  bodies: number[];
  /** All samples, repetitions renumbered 1, 2, ... across runs. */
  samples: Sample[];
}

/** How many repetitions (distinct run and repetition) measured this body size. */
export function repetitionsOf(pooled: PooledRuns, bodyBytes: number): number {
  return new Set(pooled.samples.filter((s) => s.bodyBytes === bodyBytes).map((s) => s.repetition)).size;
}

/** The samples of `runs` as one run's: repetitions renumbered so each stays paired within its own run. */
export function poolRuns(runs: readonly RunFile[]): PooledRuns {
  const proxies = new Map<string, string>();
  const bodies = new Set<number>();
  const renumbered = new Map<string, number>();
  const samples: Sample[] = [];
  runs.forEach((run, index) => {
    for (const row of run.rows) if (!proxies.has(row.proxy)) proxies.set(row.proxy, row.label);
    for (const s of run.samples) {
      const key = `${index}/${s.repetition}`;
      if (!renumbered.has(key)) renumbered.set(key, renumbered.size + 1);
      if (!proxies.has(s.proxy)) proxies.set(s.proxy, s.proxy);
      bodies.add(s.bodyBytes);
      samples.push({
        ...s,
        repetition: renumbered.get(key) as number,
        cpuMicrosPerRequest: s.cpuMicrosPerRequest,
        peakRssMb: s.peakRssMb,
      });
    }
  });
  return {
    proxies: [...proxies].map(([name, label]) => ({ name, label })),
    bodies: [...bodies].sort((a, b) => a - b),
    samples,
  };
}
