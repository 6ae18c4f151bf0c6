/** The printed report: one table per runtime (case, expected, seen, result), the failures, a summary. */
import type { Runtime } from '../../gateway/server/runtime.ts';

export const KNOWN_LABEL = 'KNOWN (issue 20)';
export type Verdict = 'PASS' | 'FAIL' | typeof KNOWN_LABEL;

export interface CaseResult {
  id: string;
  group: string;
  expected: string;
  seen: string;
  verdict: Verdict;
  problems: string[];
  /** Issue 20's point when the verdict is KNOWN. */
  known?: string;
  ms: number;
}

export interface RuntimeReport {
  runtime: Runtime;
  version: string;
  /** Ports and pid of the gateway process that was probed. */
  gateway?: { pid: number; port: number; adminPort: number };
  results: CaseResult[];
  /** The run could not start or ended early (then every case counts as failed). */
  error?: string;
}

const WIDTH = { case: 32, expected: 44, seen: 64, result: 16 };

/** Words wrapped to `width` columns (a word longer than that is cut into pieces). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    for (let piece = word; piece.length > 0; piece = piece.slice(width)) {
      const part = piece.slice(0, width);
      if (line === '') line = part;
      else if (line.length + 1 + part.length <= width) line += ` ${part}`;
      else {
        lines.push(line);
        line = part;
      }
    }
  }
  lines.push(line);
  return lines;
}

function row(cells: [string, string, string, string]): string {
  const widths = [WIDTH.case, WIDTH.expected, WIDTH.seen, WIDTH.result];
  const wrapped = cells.map((c, i) => wrap(c, widths[i] as number));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let i = 0; i < height; i++)
    out.push(
      wrapped
        .map((w, j) => (w[i] ?? '').padEnd(widths[j] as number))
        .join(' | ')
        .trimEnd(),
    );
  return out.join('\n');
}

const counts = (r: RuntimeReport) => ({
  pass: r.results.filter((c) => c.verdict === 'PASS').length,
  fail: r.results.filter((c) => c.verdict === 'FAIL').length,
  known: r.results.filter((c) => c.verdict === KNOWN_LABEL).length,
});

export function renderTable(r: RuntimeReport): string {
  const where = r.gateway
    ? ` (gateway pid ${r.gateway.pid}, public :${r.gateway.port}, admin :${r.gateway.adminPort})`
    : '';
  const lines = [`== ${r.version}${where} ==`];
  if (r.error) lines.push(`RUN FAILED: ${r.error}`);
  const rule = [WIDTH.case, WIDTH.expected, WIDTH.seen, WIDTH.result].map((w) => '-'.repeat(w)).join('-+-');
  lines.push(row(['case', 'expected', 'seen', 'result']), rule);
  let group = '';
  for (const c of r.results) {
    if (c.group !== group) lines.push(`[${c.group}]`);
    group = c.group;
    lines.push(row([c.id, c.expected, c.seen, c.verdict]));
  }
  lines.push(rule);
  const notes = r.results.filter((c) => c.verdict !== 'PASS');
  for (const c of notes) {
    const why =
      c.verdict === 'FAIL' ? c.problems.join('; ') : `issue 20, point ${c.known}: ${c.problems.join('; ')}`;
    lines.push(`${c.verdict === 'FAIL' ? 'FAIL ' : 'KNOWN'} ${c.group}/${c.id}: ${why}`);
  }
  const n = counts(r);
  lines.push(
    `${r.runtime}: ${r.results.length} cases, ${n.pass} PASS, ${n.fail} FAIL, ${n.known} ${KNOWN_LABEL}`,
  );
  return lines.join('\n');
}

export function renderSummary(reports: RuntimeReport[]): string {
  const lines = ['== summary =='];
  for (const r of reports) {
    const n = counts(r);
    lines.push(
      `${r.version}: ${n.pass} PASS, ${n.fail} FAIL, ${n.known} ${KNOWN_LABEL} of ${r.results.length}` +
        (r.error ? ` (run failed: ${r.error})` : ''),
    );
  }
  const known = reports.flatMap((r) =>
    r.results
      .filter((c) => c.verdict === KNOWN_LABEL)
      .map((c) => `  ${r.runtime} ${c.group}/${c.id}: point ${c.known}`),
  );
  if (known.length > 0) lines.push('known runtime differences (issue 20):', ...known);
  const failed = reports.flatMap((r) =>
    r.results
      .filter((c) => c.verdict === 'FAIL')
      .map((c) => `  ${r.runtime} ${c.group}/${c.id}: ${c.problems.join('; ')}`),
  );
  lines.push(failed.length > 0 ? 'FAILED:' : 'no case failed', ...failed);
  return lines.join('\n');
}

/** Whether the run as a whole failed (any FAIL, or a runtime that could not be probed). */
export const anyFailure = (reports: RuntimeReport[]) =>
  reports.some((r) => r.error !== undefined || r.results.some((c) => c.verdict === 'FAIL'));
