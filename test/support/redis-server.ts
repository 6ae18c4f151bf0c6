import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { requireCommand } from './prerequisites.ts';

export interface TestRedis {
  port: number;
  /** The running server's pid (a restart changes it). */
  pid: number;
  url: string;
  /** SIGKILL: the server is gone, its port refuses connections. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (its data survives with `persistent`). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung server (connections stay open, nothing is answered). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Append-only file synced on every write, so a killed server restarts with every answered write. */
  persistent?: boolean;
  /** requirepass: clients must AUTH (the URL stays without it). */
  password?: string;
}

/** Starts a private redis-server on a free port with a temporary directory (never the machine's 6379). */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  requireCommand('redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'dg-redis-'));
  const port = await freePort();
  const persistence = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    ...persistence,
    // DEBUG SLEEP (the hung-server case) from loopback clients.
    ...['--enable-debug-command', 'local'],
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
  let child = await launch(args);
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL'); // a paused server too, without running again first
    await exited;
  };
  const server: TestRedis = {
    port,
    pid: child.pid as number,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      child = await launch(args);
      server.pid = child.pid as number;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function launch(args: string[]): Promise<ChildProcess> {
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  return child;
}
