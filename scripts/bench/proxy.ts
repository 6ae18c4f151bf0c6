/**
 * Reverse-proxy benchmark: peers and the gateway side by side in one run, pinned to CPUs.
 * `npx tsx scripts/bench/proxy.ts --help`; method and columns in scripts/bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allProxies, selectProxies } from './lib/catalog.ts';
import { type LoadShape, measureOnce, type Sample } from './lib/measure.ts';
import { type BenchOptions, parseOptions } from './lib/options.ts';
import { type RunningOrigin, startOrigin } from './lib/origin.ts';
import { PEERS_DIR, peersInstalled } from './lib/peers.ts';
import { onInterrupt } from './lib/process-tree.ts';
import type { ProxyUnderTest } from './lib/proxy-under-test.ts';
import { markdownTable, type Row, summarise } from './lib/report.ts';

function requireTools(options: BenchOptions): void {
  for (const [tool, pkg] of [
    ['nginx', 'nginx-light'],
    ['wrk', 'wrk'],
    ['taskset', 'util-linux'],
  ]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`missing "${tool}": install it with: apt-get install -y ${pkg}`);
    }
  }
  const cpuCount = cpus().length;
  for (const list of [options.loadCpus, options.proxyCpus])
    if (list.split(/[-,]/).some((cpu) => Number(cpu) >= cpuCount))
      throw new Error(`CPU list ${list} needs more than the ${cpuCount} CPUs this machine has`);
}

function ensurePeers(): void {
  if (peersInstalled()) return;
  console.error(`installing peers: npm ci --prefix ${PEERS_DIR}`);
  execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** Repetitions interleaved across proxies, the order rotated each time so no proxy always runs first. */
async function runAll(
  proxies: readonly ProxyUnderTest[],
  options: BenchOptions,
  origin: RunningOrigin,
  workDir: string,
): Promise<{ samples: Sample[]; failures: Map<string, string[]> }> {
  const samples: Sample[] = [];
  const failures = new Map<string, string[]>();
  const context = { origin, proxyCpus: options.proxyCpus, workDir };
  for (let repetition = 1; repetition <= options.reps; repetition++) {
    const shift = (repetition - 1) % proxies.length;
    const order = [...proxies.slice(shift), ...proxies.slice(0, shift)];
    for (const bodyBytes of options.body) {
      const load: LoadShape = {
        path: bodyBytes === 100 ? origin.smallPath : origin.largePath,
        bodyBytes,
        connections: options.connections,
        warmupSeconds: options.warmup,
        durationSeconds: options.duration,
        loadCpus: options.loadCpus,
      };
      for (const proxy of order) {
        const tag = `[rep ${repetition}/${options.reps}, ${bodyBytes} B] ${proxy.name}`;
        try {
          const sample = await measureOnce(proxy, context, load, repetition);
          samples.push(sample);
          console.error(
            `${tag}: ${Math.round(sample.requestsPerSecond)} req/s, p99 ${sample.p99Ms.toFixed(2)} ms, ` +
              `${sample.cpuMicrosPerRequest?.toFixed(1) ?? '–'} µs/req` +
              (sample.errors > 0 ? `, ${sample.errors} errors` : ''),
          );
        } catch (error) {
          const message = (error as Error).message;
          const key = `${proxy.name}/${bodyBytes}`;
          failures.set(key, [...(failures.get(key) ?? []), message]);
          console.error(`${tag}: FAILED: ${message}`);
        }
      }
    }
  }
  return { samples, failures };
}

function printTables(options: BenchOptions, rows: Row[]): void {
  for (const bodyBytes of options.body) {
    const title = bodyBytes === 100 ? '100-byte body' : '64 KiB body';
    console.log(
      `\n## ${title}, -c${options.connections} (median of ${options.reps}, ${options.duration} s runs` +
        `${options.routes.some((n) => n > 0) ? `, ${options.routes.join(' / ')} extra gateway routes` : ''})\n`,
    );
    console.log(markdownTable(rows.filter((r) => r.bodyBytes === bodyBytes)));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  requireTools(options);
  const all = allProxies(options.routes, {
    servicesPerContainer: options.servicesPerContainer,
    env: options.gatewayEnv,
    variantEnv: options.variantEnv,
    gatewayctl: options.gatewayctl,
    baseline: options.baseline,
  });
  const proxies = selectProxies(all, options.only);
  ensurePeers();
  const workDir = mkdtempSync(join(tmpdir(), 'dg-bench-proxy-'));
  // nginx's workers run unprivileged and must traverse it to the origin's files.
  chmodSync(workDir, 0o755);
  let origin: RunningOrigin | undefined;
  const cleanUp = async () => {
    await origin?.stop();
    for (const proxy of proxies) await proxy.dispose?.();
    if (options.keep) console.error(`scratch directory kept: ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  onInterrupt(cleanUp);
  try {
    origin = await startOrigin(workDir, options.loadCpus);
    const { samples, failures } = await runAll(proxies, options, origin, workDir);
    const rows = options.body.flatMap((bodyBytes) => summarise(proxies, samples, failures, bodyBytes));
    printTables(options, rows);
    if (options.json)
      writeFileSync(
        options.json,
        `${JSON.stringify({ options, date: new Date().toISOString(), rows, samples }, null, 2)}\n`,
      );
  } finally {
    await cleanUp();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
