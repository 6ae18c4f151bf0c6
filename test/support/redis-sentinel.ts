/**
 * A real local Sentinel setup: one primary, one replica, three sentinels (quorum 2), each on a free port
 * with its own temporary directory, stopped afterwards. Failover is quick (down after 1 s) so that a
 * killed primary is replaced in about 2-3 s. Every data node and sentinel has a password (requirepass), so
 * the gateway's connections go through AUTH as in production.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../gateway/store/redis-target.ts';
import { freePort } from './ports.ts';
import { requireCommand } from './prerequisites.ts';

export const SENTINEL_NAME = 'dg-test';

export interface TestSentinel {
  target: Extract<RedisTarget, { kind: 'sentinel' }>;
  /** The environment a gateway needs for this setup. */
  env: Record<string, string>;
  /** The data nodes' ports (the primary first, at start). */
  dataPorts: number[];
  /** The port of the data node that is primary now (asks a sentinel). */
  primaryPort(): Promise<number>;
  /** SIGKILL of the data node on `port`. */
  killData(port: number): Promise<void>;
  /** A plain connection to a data node (for checks and CLIENT KILL). */
  admin(port: number): Redis;
  stop(): Promise<void>;
}

interface Proc {
  child: ChildProcess;
  port: number;
}

async function launch(args: string[], ready: RegExp, what: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${out.slice(-300)}`)));
    setTimeout(() => reject(new Error(`${what} did not start: ${out.slice(-300)}`)), 10_000).unref();
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Starts the primary, the replica (synced) and three sentinels that agree on the primary. */
export async function startSentinel(): Promise<TestSentinel> {
  requireCommand('redis-server', 'redis-server');
  requireCommand('redis-sentinel', 'redis-sentinel');
  const dir = mkdtempSync(join(tmpdir(), 'dg-sentinel-'));
  const data: Proc[] = [];
  const sentinels: Proc[] = [];
  const password = randomBytes(12).toString('hex');
  const dataArgs = (port: number) => [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--requirepass', password, '--masterauth', password],
    ...['--enable-debug-command', 'local'], // DEBUG SLEEP: a replica that stops answering
    ...['--dir', mkdirFor(dir, `data-${port}`)],
  ];
  const [p0, p1] = [await freePort(), await freePort()];
  data.push({ port: p0, child: await launch(dataArgs(p0), /Ready to accept connections/, 'primary') });
  data.push({
    port: p1,
    child: await launch(
      [...dataArgs(p1), '--replicaof', '127.0.0.1', String(p0)],
      /MASTER <-> REPLICA sync: Finished with success/,
      'replica',
    ),
  });
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${password}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${p0} 2`,
        `sentinel auth-pass ${SENTINEL_NAME} ${password}`,
        `sentinel sentinel-pass ${password}`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    const child = await launch([conf, '--sentinel'], /\+monitor master/, 'sentinel');
    sentinels.push({ port, child });
  }
  const target = {
    kind: 'sentinel' as const,
    name: SENTINEL_NAME,
    sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    password,
    sentinelPassword: password,
  };
  const askSentinel = async (): Promise<number> => {
    for (const s of sentinels) {
      if (s.child.exitCode !== null) continue;
      const c = new Redis({
        port: s.port,
        host: '127.0.0.1',
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      try {
        await c.connect();
        const addr = (await c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as string[];
        return Number(addr[1]);
      } catch {
        // the next sentinel
      } finally {
        c.disconnect();
      }
    }
    throw new Error('no sentinel answered');
  };
  // Every sentinel has seen the replica (so a failover has somewhere to go) before tests begin.
  for (let i = 0; i < 100; i++) {
    const seen = sentinels.map((s) => {
      const out = execFileSync('redis-cli', [
        ...['-p', String(s.port), '-a', password, '--no-auth-warning'],
        ...['SENTINEL', 'replicas', SENTINEL_NAME],
      ]);
      return out.toString().includes(String(p1));
    });
    if (seen.every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    target,
    env: {
      REDIS_SENTINELS: target.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: SENTINEL_NAME,
      REDIS_PASSWORD: password,
      REDIS_SENTINEL_PASSWORD: password,
    },
    dataPorts: [p0, p1],
    primaryPort: askSentinel,
    async killData(port) {
      const node = data.find((d) => d.port === port);
      if (node) await kill(node.child);
    },
    admin: (port) => new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 0 }),
    async stop() {
      await Promise.all([...sentinels, ...data].map((p) => kill(p.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mkdirFor(dir: string, name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}
