/**
 * WebSocket benchmark: idle, typing, burst and churn loads through nginx, configurable-http-proxy and the
 * gateway on Node, Deno and Bun, against direct, in one interleaved run, pinned to CPUs.
 * `npx tsx scripts/bench/ws.ts --help`; method and tables in scripts/bench/README.md ("WebSockets").
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectProxies } from './lib/catalog.ts';
import { runWithRaisedDescriptorLimit } from './lib/descriptor-limit.ts';
import { freePort, type Launched, launchPinned, waitForHttp } from './lib/launch.ts';
import { PEERS_DIR, peersInstalled } from './lib/peers.ts';
import { onInterrupt } from './lib/process-tree.ts';
import type { ProxyUnderTest } from './lib/proxy-under-test.ts';
import { measureWebSockets, type WsRig, type WsSample } from './lib/ws-measure.ts';
import { parseWsOptions, type WsOptions } from './lib/ws-options.ts';
import { webSocketProxies } from './lib/ws-peers.ts';
import { webSocketTables } from './lib/ws-report.ts';
import { type LoadWorker, startLoadWorker } from './lib/ws-workers.ts';

function requireTools(): void {
  for (const [tool, pkg] of [
    ['nginx', 'nginx-light'],
    ['wrk', 'wrk'],
    ['taskset', 'util-linux'],
    ['prlimit', 'util-linux'],
  ]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`missing "${tool}": install it with: apt-get install -y ${pkg}`);
    }
  }
}

/** The echo upstream (lib/ws-echo-server.ts) on the load CPUs, for the whole run. */
async function startEchoUpstream(
  options: WsOptions,
  workDir: string,
): Promise<{ port: number; launched: Launched }> {
  const port = await freePort();
  const launched = launchPinned({
    cpus: options.loadCpus,
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, 'lib', 'ws-echo-server.ts'), String(port)],
    logDir: workDir,
    name: 'ws-echo-upstream',
  });
  await waitForHttp(launched, port, '/');
  return { port, launched };
}

/** Repetitions interleaved across proxies, the order rotated each time, as proxy.ts does. */
async function runAll(proxies: readonly ProxyUnderTest[], options: WsOptions, rig: WsRig) {
  const samples: WsSample[] = [];
  const failures = new Map<string, string[]>();
  for (let repetition = 1; repetition <= options.reps; repetition++) {
    const shift = (repetition - 1) % proxies.length;
    for (const proxy of [...proxies.slice(shift), ...proxies.slice(0, shift)]) {
      const tag = `[rep ${repetition}/${options.reps}] ${proxy.name}`;
      const started = performance.now();
      try {
        const sample = await measureWebSockets(proxy, rig, repetition);
        samples.push(sample);
        const f = sample.figures;
        console.error(
          `${tag}: ${f.rssKbPerSocket?.toFixed(1) ?? '–'} KB/socket, open ${f.openSeconds?.toFixed(2)} s, ` +
            `typing p50 ${f.typingP50Ms?.toFixed(2)} ms ${f.cpuMicrosPerMessage?.toFixed(1) ?? '–'} µs/msg, ` +
            `burst ${f.burstMibPerSecond?.toFixed(0)} MiB/s, ${f.handshakesPerSecond?.toFixed(0)} handshakes/s ` +
            `${f.cpuMicrosPerHandshake?.toFixed(0) ?? '–'} µs each, HTTP ${f.httpRequestsPerSecond?.toFixed(0)} req/s ` +
            `(${((performance.now() - started) / 1000).toFixed(0)} s)` +
            (sample.notes.length > 0 ? `; ${sample.notes.join('; ')}` : ''),
        );
      } catch (error) {
        const message = (error as Error).message;
        failures.set(proxy.name, [...(failures.get(proxy.name) ?? []), message]);
        console.error(`${tag}: FAILED: ${message}`);
      }
    }
  }
  return { samples, failures };
}

async function main(): Promise<void> {
  const descriptorLimit = runWithRaisedDescriptorLimit();
  const options = parseWsOptions(process.argv.slice(2));
  requireTools();
  if (descriptorLimit < options.loads.idle * 2 + 1000)
    throw new Error(
      `--idle ${options.loads.idle} needs ${options.loads.idle * 2 + 1000} descriptors; the limit is ${descriptorLimit}`,
    );
  // The bench's container sends one watchdog, at registration: without a longer LIVENESS_TIMEOUT (45 s)
  // the gateway would rightly call it offline during a long hold and answer its handshakes 503.
  const gatewayEnv = { ACCESS_LOG: 'all', LIVENESS_TIMEOUT: '1h', ...options.gatewayEnv };
  const proxies = selectProxies(webSocketProxies(options.loads.idle + 10, gatewayEnv), options.only);
  if (!peersInstalled()) {
    console.error(`installing peers: npm ci --prefix ${PEERS_DIR}`);
    execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  const workDir = mkdtempSync(join(tmpdir(), 'dg-bench-ws-'));
  chmodSync(workDir, 0o755);
  let upstream: Launched | undefined;
  const workers: LoadWorker[] = [];
  const cleanUp = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await upstream?.stop();
    for (const proxy of proxies) await proxy.dispose?.();
    if (options.keep) console.error(`scratch directory kept: ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  onInterrupt(cleanUp);
  try {
    const echo = await startEchoUpstream(options, workDir);
    upstream = echo.launched;
    for (let i = 0; i <= options.workers; i++) workers.push(startLoadWorker(options.loadCpus, i));
    const rig: WsRig = {
      context: {
        origin: { port: echo.port, smallPath: '/', largePath: '/' },
        proxyCpus: options.proxyCpus,
        workDir,
      },
      loads: options.loads,
      holders: workers.slice(0, options.workers),
      burster: workers[options.workers] as LoadWorker,
      loadCpus: options.loadCpus,
    };
    console.error(
      `ws bench: ${proxies.map((p) => p.name).join(', ')}; ${options.reps} reps; loads ${JSON.stringify(options.loads)}; ` +
        `gateway env ${JSON.stringify(gatewayEnv)}; descriptor limit ${descriptorLimit}`,
    );
    const { samples, failures } = await runAll(proxies, options, rig);
    console.log(
      `\n# WebSockets (median of ${options.reps}; proxy on CPU ${options.proxyCpus}, load and echo upstream on ${options.loadCpus})`,
    );
    console.log(webSocketTables(proxies, samples, failures, options.loads));
    if (options.json)
      writeFileSync(
        options.json,
        `${JSON.stringify({ options, date: new Date().toISOString(), samples }, null, 2)}\n`,
      );
  } finally {
    await cleanUp();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
