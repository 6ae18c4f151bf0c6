/**
 * A real local Redis Cluster: three masters, each with one replica (six redis-server processes: a master
 * killed is replaced by its replica, so writes resume), made with `redis-cli --cluster create`, on free
 * ports (client and bus) with a temporary directory, stopped afterwards. cluster-node-timeout 1 s.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../gateway/store/redis-target.ts';
import { freePort } from './ports.ts';
import { requireCommand } from './prerequisites.ts';

export interface TestCluster {
  target: Extract<RedisTarget, { kind: 'cluster' }>;
  env: Record<string, string>;
  ports: number[];
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  kill(port: number): Promise<void>;
  admin(port: number): Redis;
  stop(): Promise<void>;
}

const run = promisify(execFile);

async function launch(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`cluster node exited with ${code}: ${out.slice(-300)}`)));
    setTimeout(() => reject(new Error(`cluster node did not start: ${out.slice(-300)}`)), 10_000).unref();
  });
  return child;
}

export async function startCluster(): Promise<TestCluster> {
  requireCommand('redis-server', 'redis-server');
  requireCommand('redis-cli', 'redis-tools');
  const dir = mkdtempSync(join(tmpdir(), 'dg-cluster-'));
  const nodes = new Map<number, ChildProcess>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freePort());
  // Every node has a password, so the gateway's connections go through AUTH as in production.
  const password = randomBytes(12).toString('hex');
  const cli = (...args: string[]) => run('redis-cli', ['-a', password, '--no-auth-warning', ...args]);
  await Promise.all(
    ports.map(async (port) => {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const args = [
        ...['--port', String(port), '--cluster-port', String(await freePort()), '--bind', '127.0.0.1'],
        ...[
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '1000',
        ],
        ...['--save', '', '--appendonly', 'no', '--dir', nodeDir],
        ...['--requirepass', password, '--masterauth', password],
      ];
      nodes.set(port, await launch(args));
    }),
  );
  const addresses = ports.map((p) => `127.0.0.1:${p}`);
  await cli('--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes');
  // Every node agrees the cluster is whole before tests begin.
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(
      ports.map(async (p) => (await cli('-p', String(p), 'CLUSTER', 'INFO')).stdout),
    );
    if (states.every((s) => s.includes('cluster_state:ok'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // ...and every replica has synced with its master: a replica that never synced refuses to take over
  // (its data counts as too old), so a master killed before then leaves the cluster down for good.
  for (let i = 0; i < 200; i++) {
    const replication = await Promise.all(
      ports.map(async (p) => (await cli('-p', String(p), 'INFO', 'replication')).stdout),
    );
    const replicas = replication.filter((r) => r.includes('role:slave'));
    if (replicas.length === 3 && replicas.every((r) => r.includes('master_link_status:up'))) break;
    if (i === 199) throw new Error(`cluster replicas not in sync:\n${replicas.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const live = () =>
    ports.filter((p) => nodes.get(p)?.exitCode === null && nodes.get(p)?.signalCode === null);
  return {
    target: { kind: 'cluster', nodes: ports.map((port) => ({ host: '127.0.0.1', port })), password },
    env: { REDIS_CLUSTER_NODES: addresses.join(','), REDIS_PASSWORD: password },
    ports,
    async masterOf(key) {
      const admin = new Redis({ port: live()[0], host: '127.0.0.1', password, maxRetriesPerRequest: 0 });
      try {
        const slot = Number(await admin.cluster('KEYSLOT', key));
        const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
        const range = ranges.find(([start, end]) => start <= slot && slot <= end);
        if (!range) throw new Error(`no master for slot ${slot}`);
        return range[2][1];
      } finally {
        admin.disconnect();
      }
    },
    kill,
    admin: (port) => new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 0 }),
    async stop() {
      await Promise.all(ports.map(kill));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  async function kill(port: number): Promise<void> {
    const child = nodes.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
