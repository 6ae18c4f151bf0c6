import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './gateway.ts';
import type { WorkerCommand, WorkerReply, WorkerRequest } from './ws-protocol.ts';

const WORKER = join(import.meta.dirname, 'ws-load-worker.ts');
/** The longest any command may take (a 256 MiB burst on a slow proxy); every call is bounded by it. */
const CALL_TIMEOUT_MS = 330_000;

/** A load-generator process (ws-load-worker.ts) pinned to the load CPUs, driven over IPC. */
export interface LoadWorker {
  pid: number;
  call<T>(command: WorkerCommand): Promise<T>;
  stop(): Promise<void>;
}

export function startLoadWorker(cpus: string, index: number): LoadWorker {
  // taskset execs node, which finds its IPC channel (fd and NODE_CHANNEL_FD) inherited.
  const child: ChildProcess = spawn('taskset', ['-c', cpus, process.execPath, '--import', 'tsx', WORKER], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`could not start load worker ${index}`);
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  child.on('message', (reply: WorkerReply) => {
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if ('error' in reply) pending?.reject(new Error(`load worker ${index}: ${reply.error}`));
    else pending?.resolve(reply.result);
  });
  child.on('exit', (code, signal) => {
    for (const pending of waiting.values())
      pending.reject(new Error(`load worker ${index} exited (${code ?? signal})`));
    waiting.clear();
  });
  return {
    pid: child.pid,
    call<T>(command: WorkerCommand): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`load worker ${index}: ${command.kind} took over ${CALL_TIMEOUT_MS} ms`));
        }, CALL_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, command } satisfies WorkerRequest);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Splits `total` into `parts` near-equal shares (the first ones one larger). */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** The same kind of command on every worker with its share, in parallel. */
export function onAll<T>(
  workers: readonly LoadWorker[],
  command: (share: number) => WorkerCommand,
  total: number,
) {
  const split = shares(total, workers.length);
  return Promise.all(workers.map((worker, i) => worker.call<T>(command(split[i] as number))));
}
