/**
 * A strict reader of the Prometheus text format (0.0.4), for tests: it throws, naming the line, on
 * anything a scraper could misread: a sample before its TYPE, a family split in two, a repeated HELP,
 * TYPE or series, a bad name, label or value, histogram buckets that are not cumulative or whose +Inf
 * bucket is not the count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`);
  return Number(text);
}

/** `a="x",b="y\"z"` -> labels; a reader, not a split, so escaped quotes and commas stay inside values. */
function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label "${name}" twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const ch = text[j];
      if (ch === undefined) throw new Error(`${where}: unterminated label value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`${where}: bad escape in label value`);
        j += 2;
        continue;
      }
      if (ch === '\n') throw new Error(`${where}: newline in label value`);
      value += ch;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`${where}: expected "," between labels`);
      i++;
    }
  }
  return labels;
}

function parseSample(line: string, where: string): Sample {
  const brace = line.indexOf('{');
  let name: string;
  let labels: Record<string, string> = {};
  let rest: string;
  if (brace >= 0 && brace < line.indexOf(' ')) {
    name = line.slice(0, brace);
    const close = line.lastIndexOf('}');
    if (close < brace) throw new Error(`${where}: unclosed labels`);
    labels = parseLabels(line.slice(brace + 1, close), where);
    rest = line.slice(close + 1);
  } else {
    name = line.slice(0, line.indexOf(' '));
    rest = line.slice(name.length);
  }
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
  const parts = rest.trim().split(' ');
  if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2)
    throw new Error(`${where}: bad sample "${line}"`);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value: parseValue(parts[0] as string, where) };
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    if (!count || !sum) throw new Error(`${family.name}${key}: histogram without _sum or _count`);
    let previous = -1;
    let previousLe = Number.NEGATIVE_INFINITY;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? '', `${family.name} le`);
      if (le <= previousLe) throw new Error(`${family.name}: buckets not in increasing le order`);
      if (b.value < previous) throw new Error(`${family.name}: buckets not cumulative`);
      previous = b.value;
      previousLe = le;
    }
    const inf = buckets.at(-1);
    if (inf?.labels.le !== '+Inf') throw new Error(`${family.name}: no +Inf bucket`);
    if (inf.value !== count.value)
      throw new Error(`${family.name}: +Inf bucket ${inf.value} != count ${count.value}`);
  }
}

/** Parses an exposition; throws on any violation. Families keyed by name, in the order they came. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const helped = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a comment
      const [, kind, name = '', arg = ''] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
      if (kind === 'HELP') {
        if (helped.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        helped.add(name);
        if (families.has(name) && current?.name !== name) throw new Error(`${where}: ${name} split in two`);
        const f = families.get(name);
        if (f) f.help = arg;
        else {
          current = { name, type: 'untyped', help: arg, samples: [] };
          families.set(name, current);
        }
        return;
      }
      if (!TYPES.has(arg)) throw new Error(`${where}: unknown type "${arg}"`);
      const f = families.get(name);
      if (f && (f.samples.length > 0 || f.type !== 'untyped' || current !== f))
        throw new Error(`${where}: TYPE for ${name} after its samples or twice`);
      if (f) f.type = arg;
      else families.set(name, { name, type: arg, help: '', samples: [] });
      current = families.get(name);
      return;
    }
    const sample = parseSample(line, where);
    const family =
      current && (SUFFIXES[current.type] ?? ['']).some((sfx) => sample.name === `${current?.name}${sfx}`)
        ? current
        : undefined;
    if (!family)
      throw new Error(`${where}: sample ${sample.name} outside its family (TYPE first, families not split)`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`${where}: negative counter`);
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** How many series an exposition holds. */
export const seriesCount = (families: Map<string, Family>) =>
  [...families.values()].reduce((n, f) => n + f.samples.length, 0);
