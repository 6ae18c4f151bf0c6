/**
 * Idle resident memory of the gateway: starts it, waits for /healthz, lets it idle, then sums VmRSS over
 * its process tree (npm and tsx wrappers included) and prints one line per process. A measuring tool: it
 * asserts nothing.
 *
 *   npx tsx scripts/bench/idle-rss.ts [--how bundle,tsx,npm-start] [--idle 5] [--reps 3]
 *                                     [--env KEY=VALUE]... [--node-flag FLAG]...
 *
 * `bundle` builds dist/gateway/main.mjs first (`npm run build`) and runs it with node (as the image
 * does); `tsx` runs the sources as `npm start` does, without npm; `npm-start` is `npm start` itself.
 * Each start gets free ports, a fresh DATA_DIR and the embedded store unless `--env` says otherwise.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startGateway } from '../../test/support/gateway-process.ts';
import { buildGatewayBundle, GATEWAY_BUNDLE } from '../build-gateway.ts';
import { processTree } from './lib/process-tree.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HOWS = ['bundle', 'tsx', 'npm-start'] as const;
type How = (typeof HOWS)[number];

interface Options {
  hows: How[];
  idleSeconds: number;
  reps: number;
  env: Record<string, string>;
  nodeFlags: string[];
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { hows: ['bundle', 'tsx'], idleSeconds: 5, reps: 3, env: {}, nodeFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const [arg, value] = [argv[i], argv[i + 1] ?? ''];
    if (arg === '--how') options.hows = value.split(',') as How[];
    else if (arg === '--idle') options.idleSeconds = Number(value);
    else if (arg === '--reps') options.reps = Number(value);
    else if (arg === '--env') options.env[value.split('=')[0] ?? ''] = value.slice(value.indexOf('=') + 1);
    else if (arg === '--node-flag') options.nodeFlags.push(value);
    else {
      process.stderr.write(`idle-rss: unknown argument "${arg}"\n`);
      process.exit(2);
    }
    i++;
  }
  const bad = options.hows.find((h) => !HOWS.includes(h));
  const bounded = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  if (bad || !bounded(options.idleSeconds, 600) || !bounded(options.reps, 20)) {
    process.stderr.write(`idle-rss: --how takes ${HOWS.join(',')}; --idle 1-600; --reps 1-20\n`);
    process.exit(2);
  }
  return options;
}

function command(how: How, nodeFlags: string[]): string[] {
  if (how === 'bundle') return [process.execPath, ...nodeFlags, GATEWAY_BUNDLE];
  if (how === 'tsx') return [join(ROOT, 'node_modules/.bin/tsx'), ...nodeFlags, 'gateway/main.ts'];
  return ['npm', 'start'];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusField(pid: number, field: string): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '';
  } catch {
    return ''; // exited meanwhile
  }
}

/** One start (startGateway: free ports, fresh DATA_DIR, /healthz): the tree's processes and their VmRSS. */
async function measureOnce(how: How, options: Options): Promise<{ name: string; rssKib: number }[]> {
  const gw = await startGateway('node', options.env, command(how, options.nodeFlags));
  try {
    await sleep(options.idleSeconds * 1000);
    return processTree(gw.pid).map((pid) => ({
      name: `${statusField(pid, 'Name')}[${pid}]`,
      rssKib: Number.parseInt(statusField(pid, 'VmRSS'), 10) || 0,
    }));
  } finally {
    await gw.stop();
  }
}

const mb = (kib: number) => (kib / 1024).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.hows.includes('bundle')) await buildGatewayBundle();
  const extra = [...Object.entries(options.env).map(([k, v]) => `${k}=${v}`), ...options.nodeFlags];
  process.stdout.write(`idle ${options.idleSeconds} s, ${options.reps} reps ${extra.join(' ')}\n`);
  for (const how of options.hows) {
    const totals: number[] = [];
    const largest: number[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      const tree = await measureOnce(how, options);
      totals.push(tree.reduce((sum, p) => sum + p.rssKib, 0));
      largest.push(Math.max(...tree.map((p) => p.rssKib)));
      const each = tree.map((p) => `${p.name} ${mb(p.rssKib)}`).join(', ');
      process.stderr.write(`${how} rep ${rep + 1}: ${each}\n`);
    }
    process.stdout.write(
      `${how.padEnd(10)} tree ${mb(median(totals))} MB (${totals.map(mb).join(', ')}); ` +
        `largest process ${mb(median(largest))} MB (median of ${options.reps})\n`,
    );
  }
}

await main();
