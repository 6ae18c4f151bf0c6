/**
 * Child processes of the end-to-end harness: each in its own process group (so one kill reaches what it
 * started), output captured for assertions and failure messages.
 *
 *   spawnTracked(cmd, args, opts) -> TrackedProcess
 *     .pid, .child, .output() (stdout+stderr, last 1 MB), .stdout(), .exited (Promise<exit code|signal>)
 *     .waitForOutput(pattern, timeoutMs)  resolves with the match, rejects with the output tail
 *     .kill()                             SIGKILL to the whole process group while its leader runs,
 *                                         resolves once exited
 *   runCommand(cmd, args, {timeoutMs, allowFailure}) -> {code, stdout, stderr, signal}
 *     (a command ended by a signal has code 1 and the signal's name)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';

const MAX_CAPTURE = 1 << 20;

export interface TrackedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
  stdout(): string;
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
}

function append(buffer: string, chunk: Buffer): string {
  const next = buffer + chunk.toString();
  return next.length > MAX_CAPTURE ? next.slice(-MAX_CAPTURE) : next;
}

/**
 * SIGKILLs the process group a tracked process leads, while its leader runs. Once the leader has exited
 * its PID may already lead someone else's group (pid_max is 32768 on these machines, and a CI run starts
 * thousands of processes), so it is never signalled then: what it left in a test namespace goes with the
 * namespace.
 */
export function killGroup(leader: { pid: number; child: ChildProcess }): void {
  if (leader.child.exitCode !== null || leader.child.signalCode !== null) return;
  try {
    process.kill(-leader.pid, 'SIGKILL');
  } catch {
    // the group has already exited
  }
}

/** Spawns `cmd` in a new process group with captured output. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): TrackedProcess {
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  const pid = child.pid;
  let all = '';
  let out = '';
  const waiters = new Set<() => void>();
  const onChunk = (isStdout: boolean) => (chunk: Buffer) => {
    all = append(all, chunk);
    if (isStdout) out = append(out, chunk);
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', onChunk(true));
  child.stderr?.on('data', onChunk(false));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const wake of waiters) wake();
    });
    child.once('error', (error) => resolve(`spawn error: ${error.message}`));
  });

  const waitForOutput = (pattern: RegExp | string, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const regex =
        typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
      const check = () => {
        const match = all.match(regex);
        if (match) return finish(() => resolve(match));
        if (child.exitCode !== null || child.signalCode !== null)
          finish(() => reject(new Error(`${cmd} exited before printing ${regex}:\n${all.slice(-2000)}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`no ${regex} from ${cmd} in ${timeoutMs} ms:\n${all.slice(-2000)}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  return {
    pid,
    child,
    exited,
    output: () => all,
    stdout: () => out,
    waitForOutput,
    async kill() {
      killGroup({ pid, child });
      await exited;
    },
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended it (then `code` is 1), else null. */
  signal: NodeJS.Signals | null;
}

/** Runs a command to completion; throws on a non-zero exit unless `allowFailure`. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; allowFailure?: boolean; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 20_000, killSignal: 'SIGKILL', env: { ...process.env, ...opts.env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const signal = error?.signal ?? null;
        const result = { code, stdout: String(stdout), stderr: String(stderr), signal };
        if (code !== 0 && !opts.allowFailure)
          reject(
            new Error(
              `${cmd} ${args.join(' ')} failed (${signal ?? code}): ${result.stderr.trim() || error?.message}`,
            ),
          );
        else resolve(result);
      },
    );
  });
}
