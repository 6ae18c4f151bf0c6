/**
 * Runs Debian's `openvpn --config <file>` as a foreground child (never --daemon: daemons are
 * re-parented and reaped late), restarts it with back-off when it dies, and reports ready once the
 * management banner has arrived, the hold is released (OpenVPN serves no client before the gateway's
 * management client is attached) and the tun device carries the gateway address.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { type ManagementOptions, OpenVpnManagement } from './management.ts';

const run = promisify(execFile);

export interface SupervisorOptions {
  configPath: string;
  managementSocket: string;
  /** tun device named in the config (`dev`). */
  device: string;
  /** The address the device must carry when ready (the subnet's .1). */
  gatewayAddress: string;
  management: ManagementOptions;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', 'gw']` in tests. */
  commandPrefix?: readonly string[];
  openvpnBinary?: string;
  /** How long one start may take to become ready. */
  readyTimeoutMs?: number;
  /** Restart delays: doubled per quick failure, up to the maximum. */
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** Waiting for the child to exit after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** Called after each (re)start once ready, with that run's management client. */
  onReady?(management: OpenVpnManagement): void;
  log?(message: string): void;
}

/** A run that stayed up this long resets the back-off. */
const STABLE_RUN_MS = 60_000;
const POLL_MS = 50;
const LOG_LINES_KEPT = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OpenVpnSupervisor {
  private child: ChildProcess | null = null;
  private current: OpenVpnManagement | null = null;
  private stopping = false;
  private delayMs: number;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly logLines: string[] = [];
  private readonly o: Required<Omit<SupervisorOptions, 'log' | 'onReady'>> &
    Pick<SupervisorOptions, 'log' | 'onReady'>;

  constructor(options: SupervisorOptions) {
    this.o = {
      commandPrefix: [],
      openvpnBinary: 'openvpn',
      readyTimeoutMs: 15_000,
      restartInitialMs: 500,
      restartMaxMs: 30_000,
      stopTimeoutMs: 5_000,
      ...options,
    };
    this.delayMs = this.o.restartInitialMs;
  }

  /** The management client of the running OpenVPN, or null between runs. */
  get management(): OpenVpnManagement | null {
    return this.current;
  }

  /** PID of the running OpenVPN, or null. */
  get pid(): number | null {
    return this.child?.exitCode === null ? (this.child.pid ?? null) : null;
  }

  /** The last lines OpenVPN printed (diagnostics). */
  recentLog(): string[] {
    return [...this.logLines];
  }

  /** Starts OpenVPN and resolves when it is ready; a failed first start rejects (and is not retried). */
  async start(): Promise<void> {
    this.stopping = false;
    try {
      await this.runOnce();
    } catch (error) {
      this.stopping = true;
      throw error;
    }
  }

  /** Stops OpenVPN (SIGTERM, then SIGKILL) and waits for it to exit; no restart follows. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.current?.close().catch(() => undefined);
    this.current = null;
    await this.killChild();
  }

  /** The gateway exits at once (a second signal): SIGTERM to OpenVPN now, without waiting; no restart follows. */
  signalNow(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  private async runOnce(): Promise<void> {
    // A socket file left by a killed run would accept no connection and fool the readiness check.
    await rm(this.o.managementSocket, { force: true });
    const [command, ...args] = [...this.o.commandPrefix, this.o.openvpnBinary, '--config', this.o.configPath];
    const child = spawn(command ?? this.o.openvpnBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const startedAt = Date.now();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', (error) => this.keep(`spawn failed: ${error.message}`));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line) this.keep(line);
      });
    }
    void exited.then(() => this.onExit(child, startedAt));
    try {
      await Promise.race([this.becomeReady(), exited.then(() => Promise.reject(this.failure('exited')))]);
    } catch (error) {
      await this.killChild();
      throw error;
    }
    this.o.log?.(`openvpn ready (pid ${child.pid})`);
    if (this.current) this.o.onReady?.(this.current);
  }

  private async becomeReady(): Promise<void> {
    const deadline = Date.now() + this.o.readyTimeoutMs;
    for (;;) {
      try {
        const management = await OpenVpnManagement.connect(this.o.managementSocket, this.o.management);
        try {
          await management.releaseHold();
        } catch (error) {
          await management.close();
          throw error;
        }
        this.current = management;
        break;
      } catch (error) {
        if (Date.now() > deadline) throw this.failure(`management: ${(error as Error).message}`);
        await sleep(POLL_MS);
      }
    }
    while (!(await this.deviceHasAddress())) {
      if (Date.now() > deadline) throw this.failure(`${this.o.device} has no ${this.o.gatewayAddress}`);
      await sleep(POLL_MS);
    }
  }

  private async deviceHasAddress(): Promise<boolean> {
    const [command, ...args] = [
      ...this.o.commandPrefix,
      'ip',
      '-4',
      '-o',
      'addr',
      'show',
      'dev',
      this.o.device,
    ];
    try {
      const { stdout } = await run(command ?? 'ip', args, { timeout: 5_000 });
      return stdout.includes(` ${this.o.gatewayAddress}/`);
    } catch {
      return false;
    }
  }

  private onExit(child: ChildProcess, startedAt: number): void {
    if (this.child !== child) return;
    this.child = null;
    void this.current?.close().catch(() => undefined);
    this.current = null;
    if (this.stopping) return;
    if (Date.now() - startedAt > STABLE_RUN_MS) this.delayMs = this.o.restartInitialMs;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.o.restartMaxMs);
    this.o.log?.(
      `openvpn exited (code ${child.exitCode}, signal ${child.signalCode}); restart in ${delay} ms`,
    );
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.runOnce().catch((error: Error) => this.o.log?.(`openvpn restart failed: ${error.message}`));
    }, delay);
  }

  private async killChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.o.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private keep(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.shift();
  }

  private failure(why: string): GatewayError {
    const tail = this.logLines.slice(-5).join(' | ');
    return new GatewayError(ErrorCode.Internal, `openvpn not ready: ${why}; last output: ${tail}`, 500);
  }
}
