import type { Sample } from './measure.ts';
import type { ProxyUnderTest } from './proxy-under-test.ts';

/** The name of the row every other row is compared with, in the same repetition. */
export const REFERENCE = 'nginx';

/** What a table needs of a proxy: its `--only` name and its label. */
export type ProxyName = Pick<ProxyUnderTest, 'name' | 'label'>;

export interface Row {
  proxy: string;
  label: string;
  bodyBytes: number;
  repetitions: number;
  failures: string[];
  requestsPerSecond: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  cpuMicrosPerRequest: number | undefined;
  /** Median over repetitions of (req/s / nginx req/s in the same repetition). */
  xNginxPaired: number | undefined;
  /** Median over repetitions of (p99 / nginx p99 in the same repetition): the figure for a p99 goal. */
  p99XNginxPaired: number | undefined;
  peakRssMb: number | undefined;
  errors: number;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);

/** Medians per proxy for one body size; `failures` holds the messages of repetitions that failed. */
export function summarise(
  proxies: readonly ProxyName[],
  samples: readonly Sample[],
  failures: ReadonlyMap<string, string[]>,
  bodyBytes: number,
): Row[] {
  const ofBody = samples.filter((s) => s.bodyBytes === bodyBytes);
  const reference = new Map(ofBody.filter((s) => s.proxy === REFERENCE).map((s) => [s.repetition, s]));
  /** Median over the repetitions that nginx also completed of own figure / nginx's figure. */
  const pairedRatio = (own: readonly Sample[], figure: (s: Sample) => number) =>
    median(
      defined(
        own.map((s) => {
          const nginx = reference.get(s.repetition);
          return nginx && figure(nginx) > 0 ? figure(s) / figure(nginx) : undefined;
        }),
      ),
    );
  return proxies.map((proxy) => {
    const own = ofBody.filter((s) => s.proxy === proxy.name);
    return {
      proxy: proxy.name,
      label: proxy.label,
      bodyBytes,
      repetitions: own.length,
      failures: failures.get(`${proxy.name}/${bodyBytes}`) ?? [],
      requestsPerSecond: median(own.map((s) => s.requestsPerSecond)),
      p50Ms: median(own.map((s) => s.p50Ms)),
      p99Ms: median(own.map((s) => s.p99Ms)),
      cpuMicrosPerRequest: median(defined(own.map((s) => s.cpuMicrosPerRequest))),
      xNginxPaired: pairedRatio(own, (s) => s.requestsPerSecond),
      p99XNginxPaired: pairedRatio(own, (s) => s.p99Ms),
      peakRssMb: median(defined(own.map((s) => s.peakRssMb))),
      errors: own.reduce((sum, s) => sum + s.errors, 0),
    };
  });
}

const DASH = '–';
const fmt = (value: number | undefined, digits: number) =>
  value === undefined
    ? DASH
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Latencies with 3 significant digits. */
const ms = (value: number | undefined) => (value === undefined ? DASH : value.toPrecision(3));

/** A markdown table (columns in scripts/bench/README.md), with notes for errors and failures. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| proxy | req/s | p50 / p99 ms | CPU µs/req | x nginx (paired) | p99 x nginx (paired) | peak RSS MB |',
    '|---|---:|---|---:|---:|---:|---:|',
  ];
  const notes: string[] = [];
  for (const row of rows) {
    const marks: string[] = [];
    if (row.errors > 0) marks.push(`${row.errors} errors`);
    if (row.failures.length > 0) marks.push(`${row.failures.length} failed`);
    const label = marks.length > 0 ? `${row.label} (${marks.join(', ')})` : row.label;
    lines.push(
      `| ${label} | ${fmt(row.requestsPerSecond, 0)} | ${ms(row.p50Ms)} / ${ms(row.p99Ms)} | ` +
        `${fmt(row.cpuMicrosPerRequest, 1)} | ${fmt(row.xNginxPaired, 2)} | ${fmt(row.p99XNginxPaired, 2)} | ` +
        `${fmt(row.peakRssMb, 0)} |`,
    );
    for (const failure of new Set(row.failures)) notes.push(`- ${row.proxy}: ${failure.split('\n')[0]}`);
  }
  return [...lines, ...(notes.length > 0 ? ['', 'Failures:', ...notes] : [])].join('\n');
}
