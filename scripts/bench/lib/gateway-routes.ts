import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { z } from 'zod';
import type { EventBody } from '../../../shared/protocol.ts';
import { forEachBounded } from './bounded.ts';

/** Token minting spawns a Node process each: a few at a time keep the machine responsive. */
const MINT_CONCURRENCY = 4;
/** Map events in flight during route pre-registration. */
const EVENT_CONCURRENCY = 32;
const MINT_TIMEOUT_MS = 30_000;
const EVENT_TIMEOUT_MS = 10_000;

export interface BenchContainer {
  containerId: string;
  /** Service names to map, the first becoming the primary. */
  services: string[];
}

export interface GatewayIdentity {
  orgId: string;
  projectId: string;
}

export interface CommandLine {
  command: string;
  args: string[];
}

/**
 * How `gatewayctl` is run: its installed bin (`node_modules/.bin`, a local package) or package.json's
 * `bin` with this Node (npx would add ~0.3 s to each of up to 1,000 tokens), else `npx gatewayctl`.
 */
export function gatewayctlCommand(repoRoot: string): CommandLine {
  const installed = join(repoRoot, 'node_modules', '.bin', 'gatewayctl');
  if (existsSync(installed)) return { command: process.execPath, args: [realpathSync(installed)] };
  const pkg = z
    .object({ bin: z.record(z.string(), z.string()).optional() })
    .parse(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')));
  const bin = pkg.bin?.gatewayctl;
  if (bin && existsSync(join(repoRoot, bin))) return { command: process.execPath, args: [bin] };
  return { command: 'npx', args: ['--no-install', 'gatewayctl'] };
}

/** Mints one container token with `gatewayctl token` against DATA_DIR (the token is its last stdout line). */
export function mintToken(
  gatewayctl: CommandLine,
  repoRoot: string,
  env: Record<string, string>,
  identity: GatewayIdentity,
  containerId: string,
): Promise<string> {
  const { command, args } = gatewayctl;
  const fullArgs = [
    ...args,
    'token',
    '--container',
    containerId,
    '--project',
    identity.projectId,
    '--org',
    identity.orgId,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      fullArgs,
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: MINT_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const token = stdout.trim().split('\n').at(-1)?.trim();
        if (error || !token)
          reject(
            new Error(`gatewayctl token --container ${containerId} failed: ${error?.message}\n${stderr}`),
          );
        else resolve(token);
      },
    );
  });
}

/** Mints tokens for every container not yet in `tokens` (kept across repetitions: same DATA_DIR). */
export async function mintMissingTokens(
  gatewayctl: CommandLine,
  repoRoot: string,
  env: Record<string, string>,
  identity: GatewayIdentity,
  containerIds: readonly string[],
  tokens: Map<string, string>,
): Promise<void> {
  const missing = containerIds.filter((id) => !tokens.has(id));
  await forEachBounded(missing, MINT_CONCURRENCY, async (id) => {
    tokens.set(id, await mintToken(gatewayctl, repoRoot, env, identity, id));
  });
}

/** POSTs one legacy-format event to the gateway's control app; throws with the gateway's answer on non-200. */
export async function postEvent(pool: Pool, token: string, body: EventBody): Promise<void> {
  // undici's request() rather than fetch(): 100,000 map events go several times faster.
  const response = await pool.request({
    path: '/collab/event',
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: EVENT_TIMEOUT_MS,
    bodyTimeout: EVENT_TIMEOUT_MS,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(
      `POST /collab/event ${body.event.type} answered ${response.statusCode}: ${text.slice(0, 500)}`,
    );
}

/**
 * Registers each container's services (map events, bounded concurrency), then one watchdog per container
 * so it is online. Services are mapped `public`: a protected one would redirect wrk to sign-in.
 */
export async function registerContainers(
  port: number,
  originPort: number,
  identity: GatewayIdentity,
  containers: readonly BenchContainer[],
  tokens: ReadonlyMap<string, string>,
): Promise<void> {
  const token = (containerId: string) => {
    const found = tokens.get(containerId);
    if (!found) throw new Error(`no token minted for ${containerId}`);
    return found;
  };
  const maps = containers.flatMap((container) =>
    container.services.map((name) => ({ containerId: container.containerId, name })),
  );
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: EVENT_CONCURRENCY });
  try {
    await forEachBounded(maps, EVENT_CONCURRENCY, ({ containerId, name }) =>
      postEvent(pool, token(containerId), {
        event: { type: 'user-container:map-http-service', port: originPort, name, access: 'public' },
        project_id: identity.projectId,
      }),
    );
    await forEachBounded(containers, EVENT_CONCURRENCY, ({ containerId }) =>
      postEvent(pool, token(containerId), {
        event: { type: 'user-container:watchdog', system: {} },
        project_id: identity.projectId,
      }),
    );
  } finally {
    await pool.close();
  }
}

/**
 * `total` extra routes spread over containers `bench-r<k>` of at most `perContainer` services each
 * (every container needs its own token, and a gateway may cap services per container).
 */
export function extraContainers(total: number, perContainer: number): BenchContainer[] {
  const containers: BenchContainer[] = [];
  for (let first = 0; first < total; first += perContainer) {
    const count = Math.min(perContainer, total - first);
    containers.push({
      containerId: `bench-r${containers.length}`,
      services: Array.from({ length: count }, (_, i) => `s${i}`),
    });
  }
  return containers;
}
