/** OpenVPN as a supervised foreground child (never `--daemon`: re-parented daemons are reaped late). */
import { spawn } from 'node:child_process';

export interface OpenvpnChild {
  readonly pid: number | undefined;
  /** Resolves with the exit code (null when killed by a signal) once the child has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export type StartOpenvpn = (configPath: string) => OpenvpnChild;

/** Starts `openvpn --config <path>`; scripts stay disabled whatever the config says. */
export function startOpenvpn(configPath: string, binary = 'openvpn'): OpenvpnChild {
  const child = spawn(binary, ['--config', configPath, '--script-security', '1'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 5_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
