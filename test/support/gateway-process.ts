/** Starts the real gateway as a child process on Node, Deno or Bun, and stops it again. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintContainerToken } from '../../gateway/auth/container-token.ts';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { freePort } from './ports.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const COMMANDS: Record<Runtime, string[]> = {
  node: [join(ROOT, 'node_modules/.bin/tsx'), 'gateway/main.ts'],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '-A', 'gateway/main.ts'],
  bun: [join(ROOT, 'node_modules/.bin/bun'), 'gateway/main.ts'],
};

export interface GatewayProcess {
  runtime: Runtime;
  pid: number;
  port: number;
  adminPort: number;
  dataDir: string;
  base: string;
  output(): string;
  token(containerId: string, projectId: string, orgId: string, ownerId?: string): Promise<string>;
  stop(): Promise<void>;
}

/** `command` replaces the runtime's default (the TypeScript sources), e.g. `node dist/gateway/main.mjs`. */
export async function startGateway(
  runtime: Runtime,
  env: Record<string, string> = {},
  command: readonly string[] = COMMANDS[runtime],
): Promise<GatewayProcess> {
  // PORT, ADMIN_PORT and DATA_DIR given by the caller are kept (a restart on the same port and key).
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const adminPort = env.ADMIN_PORT ? Number(env.ADMIN_PORT) : await freePort();
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'dg-gw-'));
  const [cmd, ...args] = command;
  const child: ChildProcess = spawn(cmd as string, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      // Tests stop gateways with SIGTERM: no drain grace unless a test asks for one.
      DRAIN_GRACE: '0',
      // GATEWAY_ID defaults to the host name: tests run several gateways on one host, each its own member.
      GATEWAY_ID: `test-gw-${port}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`gateway (${runtime}) exited with ${child.exitCode}: ${out.slice(-500)}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline)
      throw new Error(`gateway (${runtime}) did not answer /healthz: ${out.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    runtime,
    pid: child.pid as number,
    port,
    adminPort,
    dataDir,
    base,
    output: () => out,
    async token(containerId, projectId, orgId, ownerId) {
      const key = await readDevKey(dataDir);
      if (!key) throw new Error('the gateway wrote no development key');
      return mintContainerToken(key, { containerId, projectId, orgId, ownerId });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const RUNTIMES: Runtime[] = ['node', 'deno', 'bun'];
