import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BenchContainer,
  type CommandLine,
  extraContainers,
  type GatewayIdentity,
  gatewayctlCommand,
  mintMissingTokens,
  registerContainers,
} from './gateway-routes.ts';
import { freePort, launchPinned, waitForHttp } from './launch.ts';
import type { ProxyUnderTest, RunningProxy, StartContext } from './proxy-under-test.ts';

/** The repository root (scripts/bench/lib -> ../../..). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const BENCH_CONTAINER: BenchContainer = { containerId: 'bench', services: ['web'] };

/** How one runtime starts `gateway/main.ts` (command relative to the repository root). */
export interface GatewayRuntime {
  name: string;
  label: string;
  command: string;
  args: string[];
}

/**
 * Node runs `node --import tsx` rather than `npx tsx`: the same loader in one process, so the npm and
 * tsx supervisor processes (~90 MB, idle) are not charged to the gateway's memory.
 */
export const GATEWAY_RUNTIMES: readonly GatewayRuntime[] = [
  {
    name: 'gateway-node',
    label: 'gateway (Node)',
    command: process.execPath,
    args: ['--import', 'tsx', 'gateway/main.ts'],
  },
  {
    name: 'gateway-deno',
    label: 'gateway (Deno)',
    command: 'node_modules/.bin/deno',
    args: ['run', '-A', '--unstable-sloppy-imports', 'gateway/main.ts'],
  },
  {
    name: 'gateway-bun',
    label: 'gateway (Bun)',
    command: 'node_modules/.bin/bun',
    args: ['gateway/main.ts'],
  },
];

export interface GatewayBenchOptions {
  servicesPerContainer: number;
  /** Another checkout (`--baseline DIR`, dependencies installed) whose gateway runs on Node beside this one. */
  baseline?: string;
  /** Additional environment for the gateway (`--gateway-env KEY=VALUE`). */
  env: Record<string, string>;
  /** With entries, this checkout's gateway also runs on Node with them on top (`--variant-env`). */
  variantEnv?: Record<string, string>;
  /** `gatewayctl` command line (`--gatewayctl`); default: package.json's bin, run with node. */
  gatewayctl?: CommandLine;
}

/**
 * What the gateway entries share for the whole run: one DATA_DIR (its development signing key), one
 * identity and the tokens minted with it. A token stays valid across restarts and runtimes on the same
 * DATA_DIR, so 1,000 tokens for 100,000 routes are minted once; routes are registered on every start.
 */
export interface GatewayFixture {
  identity: GatewayIdentity;
  tokens: Map<string, string>;
  dataDir: string | undefined;
}

export function gatewayFixture(): GatewayFixture {
  return {
    identity: { orgId: randomUUID(), projectId: randomUUID() },
    tokens: new Map(),
    dataDir: undefined,
  };
}

/** The gateway on one runtime as a proxy under test (started fresh, routes registered, on every start). */
export function gatewayUnderTest(
  runtime: GatewayRuntime,
  options: GatewayBenchOptions,
  fixture: GatewayFixture,
  extraRoutes: number,
  /** Whether several route-table sizes run side by side (the size then becomes part of the name). */
  sizeInName: boolean,
  /** The checkout to run `gateway/main.ts` from: this one, or a baseline to compare with. */
  root: { dir: string; name: string } = { dir: REPO_ROOT, name: '' },
): ProxyUnderTest {
  const { identity, tokens } = fixture;
  const extras = extraContainers(extraRoutes, options.servicesPerContainer);
  const routesNote = extraRoutes > 0 ? ` + ${extraRoutes.toLocaleString('en-US')} routes` : '';
  const rootNote = root.name ? ` [${root.name}]` : '';
  const suffix = [sizeInName ? String(extraRoutes) : '', root.name].filter(Boolean).join('-');

  return {
    name: suffix ? `${runtime.name}@${suffix}` : runtime.name,
    label: `${runtime.label}${routesNote}${rootNote}`,
    async start(context: StartContext): Promise<RunningProxy> {
      fixture.dataDir ??= mkdtempSync(join(context.workDir, 'gateway-data-'));
      const dataDir = fixture.dataDir;
      const port = await freePort();
      const adminPort = await freePort();
      const env = {
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        DATA_DIR: dataDir,
        DOMAIN: 'localhost',
        // Loopback only: the default 0.0.0.0 would expose the bench gateway.
        HOST: '127.0.0.1',
        // Stopped with SIGTERM between runs: no drain grace unless asked (--gateway-env DRAIN_GRACE=...).
        DRAIN_GRACE: '0',
        ...options.env,
      };
      const launched = launchPinned({
        cpus: context.proxyCpus,
        command: runtime.command,
        args: runtime.args,
        env,
        cwd: root.dir,
        logDir: context.workDir,
        name: runtime.name,
      });
      try {
        await waitForHttp(launched, port, '/healthz');
        const containers = [...extras, BENCH_CONTAINER];
        await mintMissingTokens(
          options.gatewayctl ?? gatewayctlCommand(REPO_ROOT),
          REPO_ROOT,
          env,
          identity,
          containers.map((c) => c.containerId),
          tokens,
        );
        // Extra routes first: the bench container's watchdog comes last, fresh for the measured run.
        const started = performance.now();
        await registerContainers(port, context.origin.port, identity, extras, tokens);
        if (extraRoutes > 0)
          console.error(
            `  ${runtime.name}: ${extraRoutes} extra routes registered in ` +
              `${((performance.now() - started) / 1000).toFixed(1)} s`,
          );
        await registerContainers(port, context.origin.port, identity, [BENCH_CONTAINER], tokens);
      } catch (error) {
        await launched.stop();
        throw new Error(`${runtime.name}: ${(error as Error).message}\n--- log ---\n${launched.logTail()}`);
      }
      return {
        port,
        hostHeader: `uc-bench.org-${identity.orgId}.localhost`,
        pid: launched.pid,
        metricsPort: adminPort,
        stop: () => launched.stop(),
      };
    },
  };
}
