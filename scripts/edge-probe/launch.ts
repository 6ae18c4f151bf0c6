/**
 * A fresh gateway process per runtime: embedded memory store, free loopback ports, a temporary DATA_DIR,
 * no trusted forwarding peer on loopback. Started in its own process group, so stopping it also stops
 * whatever a runtime wrapper started (the `deno` and `bun` launchers in node_modules/.bin).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../gateway/server/runtime.ts';
import type { Cleanup } from './cleanup.ts';
import { exchange } from './raw.ts';
import { requestText } from './requests.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;

const COMMANDS: Record<Runtime, string[]> = {
  node: [join(ROOT, 'node_modules/.bin/tsx'), 'gateway/main.ts'],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '-A', 'gateway/main.ts'],
  bun: [join(ROOT, 'node_modules/.bin/bun'), 'gateway/main.ts'],
};
const VERSION: Record<Runtime, string[]> = {
  node: [process.execPath, '--version'],
  deno: [join(ROOT, 'node_modules/.bin/deno'), '--version'],
  bun: [join(ROOT, 'node_modules/.bin/bun'), '--version'],
};

/** Settings from the caller's shell that would change what is probed: never passed on. */
const SCRUBBED = [
  'REDIS_URL',
  'JWT_PUBLIC_KEY',
  'JWKS_URL',
  'JWT_ALGORITHM',
  'DEV_SIGNING_KEY',
  'VPN_ENABLED',
  'DOMAIN',
  'GATEWAY_FQDN',
  'PUBLIC_SCHEME',
  'UNDERSCORE_HEADERS',
  'DEFAULT_ACCESS',
  'ACCESS_LEVELS',
  'SESSION_SECRET',
  'ASSERTION_KEY',
  'SECRETS_KEY',
  'LOG_LEVEL',
];
/** Deno's first start compiles the TypeScript: a generous bound. */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** The last part of the gateway's output is kept for diagnostics and the log check. */
const OUTPUT_LIMIT = 4 << 20;

export interface Gateway {
  runtime: Runtime;
  version: string;
  pid: number;
  port: number;
  adminPort: number;
  dataDir: string;
  /** The sign-in page's URL given as LOGIN_URL (another origin than the gateway's). */
  loginUrl: string;
  output(): string;
  /** The process's exit code, or null while it runs. */
  exitCode(): number | null;
  /** SIGTERM to the process group (SIGKILL after a grace period), then the directory removed. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

function runtimeVersion(runtime: Runtime): string {
  const [cmd, ...args] = VERSION[runtime];
  try {
    const out = execFileSync(cmd as string, args, { timeout: 10_000, encoding: 'utf8' });
    return `${runtime} ${(out.split('\n')[0] ?? '').replace(/^(deno|v)\s*/, '')}`.trim();
  } catch {
    return `${runtime} (version unknown)`;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * Starts the gateway of the checkout at `root` (default: the one this script is in; another checkout
 * needs a node_modules, a symlink to this one's will do) with this checkout's runtimes.
 */
export async function launchGateway(runtime: Runtime, cleanup: Cleanup, root = ROOT): Promise<Gateway> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'edge-probe-'));
  const loginUrl = `http://login.localhost:${port}/`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  Object.assign(env, {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    TRUSTED_PROXIES: '192.0.2.1',
    LOGIN_URL: loginUrl,
    UPSTREAM_HEADERS_TIMEOUT: '3s',
    CLIENT_HEADERS_TIMEOUT: '2s',
    DRAIN_GRACE: '0',
  });
  const [cmd, ...args] = COMMANDS[runtime];
  const child = spawn(cmd as string, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  /** A wrapper's children may outlive it in the group: always sweep it. */
  const kill = () => {
    killGroup(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  // Registered at once: a probe stopped while the gateway starts still stops it.
  const stop = cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    kill();
  }, kill);
  const gateway: Gateway = {
    runtime,
    version: runtimeVersion(runtime),
    pid: child.pid as number,
    port,
    adminPort,
    dataDir,
    loginUrl,
    output: () => out,
    exitCode: () => child.exitCode ?? (child.signalCode ? -1 : null),
    stop,
  };
  try {
    await waitReady(gateway, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw err;
  }
  return gateway;
}

/** Polls `GET /healthz` on the public port until it answers 200; fails early if the process exits. */
async function waitReady(gateway: Gateway, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const probe = requestText({ target: '/healthz', host: `localhost:${gateway.port}` });
  while (Date.now() < deadline) {
    if (hasExited())
      throw new Error(`gateway (${gateway.runtime}) exited at start: ${gateway.output().slice(-800)}`);
    const seen = await exchange({ port: gateway.port, parts: [probe], answers: 1, timeoutMs: 2_000 });
    if (seen.responses[0]?.status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gateway (${gateway.runtime}) never answered /healthz: ${gateway.output().slice(-800)}`);
}
