/**
 * The tables of several `proxy.ts --json` runs pooled: medians and paired ratios over all their
 * repetitions (each paired with nginx of its own run). Usage: npx tsx scripts/bench/pool.ts a.json b.json
 */
import { readFileSync } from 'node:fs';
import { poolRuns, type RunFile, RunFileSchema, repetitionsOf } from './lib/pool.ts';
import { markdownTable, summarise } from './lib/report.ts';

function readRun(file: string): RunFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = RunFileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${file}: not a proxy.ts --json file (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  return parsed.data;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error(
    'usage: npx tsx scripts/bench/pool.ts RUN.json [RUN.json ...]   (files from proxy.ts --json)',
  );
  process.exit(2);
}
try {
  const pooled = poolRuns(files.map(readRun));
  for (const bodyBytes of pooled.bodies) {
    const rows = summarise(pooled.proxies, pooled.samples, new Map(), bodyBytes);
    const repetitions = repetitionsOf(pooled, bodyBytes);
    const pooledNote = `${files.length} runs, ${repetitions} repetition${repetitions === 1 ? '' : 's'} pooled`;
    console.log(`\n## ${bodyBytes}-byte body (${pooledNote}; medians over all of them)\n`);
    console.log(markdownTable(rows));
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
