import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpGet } from './http-probe.ts';
import { processTree } from './process-tree.ts';

/** How long a proxy may take to answer its readiness probe (Deno's first start compiles TypeScript). */
export const READY_TIMEOUT_MS = 60_000;
/** Grace period between SIGTERM and SIGKILL when stopping a proxy. */
const STOP_GRACE_MS = 3_000;

export interface Launched {
  child: ChildProcess;
  pid: number;
  logPath: string;
  /** Last part of the process's combined stdout/stderr, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** `taskset -c` CPU list; the command is exec'd by taskset, so its pid is the command's. */
  cpus: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Directory for the log file `<name>.log`. */
  logDir: string;
  name: string;
}

/** Starts a command pinned to `cpus`, output to a log file (a pipe could fill and stall the proxy). */
export function launchPinned(options: LaunchOptions): Launched {
  const logPath = join(options.logDir, `${options.name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn('taskset', ['-c', options.cpus, options.command, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${options.command}`);
  const pid = child.pid;
  const logTail = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-2000);
    } catch {
      return '';
    }
  };
  return { child, pid, logPath, logTail, stop: () => stopTree(child, pid) };
}

/** SIGTERM to every process of the tree (by pid), then SIGKILL to whatever is left after a grace period. */
async function stopTree(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tree = processTree(pid);
  signalAll(tree, 'SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  // Children of a wrapper (npx, tsx) may outlive it: always sweep the tree collected before the signal.
  signalAll(tree, 'SIGKILL');
  if (!graceful) await exited;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Polls GET `path` on 127.0.0.1:`port` until it answers with a status below 500; fails early if the process exits. */
export async function waitForHttp(
  launched: Launched,
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (launched.child.exitCode !== null)
      throw new Error(`port ${port}: process exited with ${launched.child.exitCode}:\n${launched.logTail()}`);
    try {
      if ((await httpGet(port, path, host, 1_000)).status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`port ${port} did not answer ${path} in ${READY_TIMEOUT_MS} ms:\n${launched.logTail()}`);
}

export { freePort } from '../../../test/support/ports.ts';
