import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { requireCommand } from './prerequisites.ts';

export interface TestRedis {
  port: number;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free port with a temporary directory (never the machine's 6379). */
export async function startRedis(): Promise<TestRedis> {
  requireCommand('redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'dg-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-300)}`)));
    setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-300)}`)), 10_000).unref();
  });
  return {
    port,
    pid: child.pid as number,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
