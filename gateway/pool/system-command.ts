/**
 * Runs one system command (`ip`, `nft`, `sysctl`) with optional stdin and a deadline, for the pool's
 * kernel parts. Never throws: the caller gets the exit status and stderr, and decides what a failure means.
 */
import { spawn } from 'node:child_process';

export interface CommandOutcome {
  /** Exit status; null when the command could not start or was killed at its deadline. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Output kept per stream: an `ip -batch` of thousands of lines can print one error per line. */
const MAX_OUTPUT = 1024 * 1024;

/** `[...prefix, command, ...args]`, stdin from `input`, killed after `timeoutMs`. */
export function runCommand(
  prefix: readonly string[],
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs: number },
): Promise<CommandOutcome> {
  const [file, ...rest] = [...prefix, command, ...args] as [string, ...string[]];
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (outcome: CommandOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const child = spawn(file, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ code: null, stdout, stderr: `${stderr}killed after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    child.once('error', (error) => finish({ code: null, stdout, stderr: error.message }));
    child.once('close', (code) => finish({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // a command that exits before reading all of stdin
    child.stdin.end(options.input ?? '');
  });
}

/** The first lines of a command's stderr, on one line (for a log field). */
export function firstLines(text: string, lines = 3): string {
  return text.trim().split('\n').slice(0, lines).join(' | ').slice(0, 500);
}
