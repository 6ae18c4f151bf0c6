/**
 * The Prometheus text format (0.0.4), written by hand: each part of the gateway that has metrics renders
 * its own families, and the admin app's `/metrics` joins them. Label values come from closed lists
 * (status classes, error codes, event types), never from requests.
 */

/** Anything with metrics: one or more complete families, each line ending in `\n`. */
export interface MetricsPart {
  render(): string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export const labelValue = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `name{a="x",b="y"} value`. */
export function sample(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`);
  return `${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${value}`;
}

/** One family: its HELP and TYPE lines, then its samples. */
export function family(name: string, type: MetricType, help: string, samples: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.map((s) => `${s}\n`).join('')}`;
}

/** The whole exposition: every part's families, in order. */
export function renderParts(parts: readonly MetricsPart[]): string {
  return parts.map((p) => p.render()).join('');
}
