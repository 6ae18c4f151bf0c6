/**
 * Re-runs the outside review's hostile requests (issue 14) against a fresh gateway on each runtime, over
 * raw sockets, and reports per case what was expected and what was seen. Exits 1 if any case fails.
 *
 *   npx tsx scripts/edge-probe/main.ts [--runtime node,deno,bun] [--json out.json] [--only <case id part>]
 *     [--gateway <another checkout>]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALL_CASES } from './cases/index.ts';
import { createCleanup, stopOnSignals } from './cleanup.ts';
import { ROOT } from './launch.ts';
import { parseOptions } from './options.ts';
import { anyFailure, type RuntimeReport, renderSummary, renderTable } from './report.ts';
import { probeRuntime } from './run.ts';
import { describeTree, treeState } from './tree.ts';

const options = parseOptions(process.argv.slice(2));
const cases = options.only
  ? ALL_CASES.filter((c) => `${c.group}/${c.id}`.includes(options.only as string))
  : ALL_CASES;
if (cases.length === 0) throw new Error(`no case matches --only ${options.only}`);

const cleanup = createCleanup();
stopOnSignals(cleanup);
const gatewayRoot = options.gateway ? resolve(options.gateway) : ROOT;
const tree = treeState(gatewayRoot);
process.stdout.write(
  `edge probe: ${cases.length} cases on ${options.runtime.join(', ')}\n${describeTree(tree)}\n\n`,
);

const reports: RuntimeReport[] = [];
try {
  for (const runtime of options.runtime) {
    const report = await probeRuntime(runtime, cases, cleanup, gatewayRoot);
    reports.push(report);
    process.stdout.write(`${renderTable(report)}\n\n`);
  }
} finally {
  await cleanup.runAll();
}
process.stdout.write(`${renderSummary(reports)}\n`);
if (options.json) {
  writeFileSync(
    options.json,
    `${JSON.stringify({ date: new Date().toISOString(), tree, reports }, null, 2)}\n`,
  );
  process.stdout.write(`JSON report: ${options.json}\n`);
}
process.exitCode = anyFailure(reports) ? 1 : 0;
