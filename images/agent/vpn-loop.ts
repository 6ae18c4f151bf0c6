/**
 * The VPN loop: fetch the config, start OpenVPN, watch the tunnel address, and on any failure wait with
 * back-off before the next attempt. Tunnel up/down transitions are reported so services re-register
 * after every reconnect (OpenVPN's own reconnects included: the device address goes and comes back).
 * While the tunnel is up the gateway is checked over it: a gateway OpenVPN that died without telling its
 * clients (SIGKILL, crash) leaves tun0 up but dead until the pushed ping-restart (60 s); a few failed
 * checks in a row end the attempt much sooner.
 */
import type { Backoff } from './backoff.ts';
import type { Log } from './log.ts';
import { errorMessage } from './log.ts';
import type { OpenvpnChild, StartOpenvpn } from './openvpn-process.ts';
import type { TunnelProbe } from './tunnel.ts';
import type { VpnFiles } from './vpn-files.ts';

export interface VpnLoopDeps {
  fetchConfig(signal: AbortSignal): Promise<string>;
  writeFiles(ovpn: string): VpnFiles;
  startOpenvpn: StartOpenvpn;
  probe: TunnelProbe;
  backoff: Backoff;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  onTunnelUp(address: string): void;
  onTunnelDown(): void;
  log: Log;
  /** How long a started (or dropped) tunnel may take to get its address before OpenVPN is restarted. */
  upTimeoutMs?: number;
  /** How often the tunnel address is checked. */
  pollMs?: number;
  /** Does the gateway answer over the tunnel? Absent: no check (the tunnel address alone counts). */
  gatewayAlive?(): Promise<boolean>;
  /** How often `gatewayAlive` runs while the tunnel is up. */
  livenessEveryMs?: number;
  /** Consecutive failed checks after which the tunnel counts as dead and OpenVPN is restarted. */
  livenessFailures?: number;
}

export const TUNNEL_UP_TIMEOUT_MS = 20_000;
export const TUNNEL_POLL_MS = 250;
export const LIVENESS_EVERY_MS = 5_000;
/**
 * Four, not three: a gateway whose OpenVPN died is OpenVPN's own job (the server pushes ping-restart 12,
 * which restarts the client at 7-12 s); four failed checks take 17-22 s, so this check is left for a
 * gateway whose OpenVPN still answers pings while the gateway itself does not (hung, stopped).
 */
export const LIVENESS_FAILURES = 4;

/** Runs until `signal` aborts; OpenVPN is stopped and the files removed before it resolves. */
export async function runVpnLoop(deps: VpnLoopDeps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let files: VpnFiles | undefined;
    let child: OpenvpnChild | undefined;
    try {
      const ovpn = await deps.fetchConfig(signal);
      files = deps.writeFiles(ovpn);
      child = deps.startOpenvpn(files.configPath);
      deps.log('info', 'openvpn started', { pid: child.pid });
      const reason = await superviseTunnel(child, deps, signal);
      if (reason !== 'stopped') deps.log('warn', 'vpn attempt ended', { reason });
    } catch (error) {
      if (!signal.aborted) deps.log('warn', 'vpn attempt failed', { error: errorMessage(error) });
    } finally {
      await child?.stop();
      files?.dispose();
    }
    if (signal.aborted) break;
    const delay = deps.backoff.next();
    deps.log('info', 'vpn reconnect scheduled', { delayMs: delay, attempt: deps.backoff.attempts });
    await deps.sleep(delay, signal);
  }
}

type EndReason =
  | 'stopped'
  | 'openvpn exited'
  | 'tunnel not up in time'
  | 'gateway unreachable over the tunnel';

/** Runs `gatewayAlive` at most every `everyMs` without blocking the caller; counts failures in a row. */
function livenessCheck(deps: VpnLoopDeps) {
  const everyMs = deps.livenessEveryMs ?? LIVENESS_EVERY_MS;
  let failures = 0;
  let inFlight = false;
  let lastAt = 0;
  // A check still running when the tunnel came up again belongs to the old tunnel: its answer is dropped.
  let generation = 0;
  const settle = (of: number, alive: boolean) => {
    if (of !== generation) return;
    inFlight = false;
    failures = alive ? 0 : failures + 1;
  };
  return {
    /** Restarts counting (a new tunnel): the first check comes one period later. */
    reset(now: number) {
      generation += 1;
      failures = 0;
      inFlight = false;
      lastAt = now;
    },
    /** Starts a check when one is due; returns the failures in a row so far. */
    tick(now: number): number {
      if (deps.gatewayAlive && !inFlight && now - lastAt >= everyMs) {
        inFlight = true;
        lastAt = now;
        const of = generation;
        deps.gatewayAlive().then(
          (alive) => settle(of, alive),
          () => settle(of, false),
        );
      }
      return failures;
    },
  };
}

/** Watches one OpenVPN child until it exits, the tunnel stays down too long, or the loop is stopped. */
async function superviseTunnel(
  child: OpenvpnChild,
  deps: VpnLoopDeps,
  signal: AbortSignal,
): Promise<EndReason> {
  const upTimeout = deps.upTimeoutMs ?? TUNNEL_UP_TIMEOUT_MS;
  const poll = deps.pollMs ?? TUNNEL_POLL_MS;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const liveness = livenessCheck(deps);
  const maxFailures = deps.livenessFailures ?? LIVENESS_FAILURES;
  let address: string | undefined;
  let waitingSince = Date.now();
  try {
    while (!signal.aborted) {
      if (exited) return 'openvpn exited';
      const now = await deps.probe();
      if (now && now !== address) {
        address = now;
        // A tunnel that came up is a success: the next failure starts back-off from 1 s again.
        deps.backoff.reset();
        liveness.reset(Date.now());
        deps.onTunnelUp(now);
      } else if (!now && address) {
        address = undefined;
        waitingSince = Date.now();
        deps.onTunnelDown();
      }
      if (!address && Date.now() - waitingSince > upTimeout) return 'tunnel not up in time';
      if (address && liveness.tick(Date.now()) >= maxFailures) return 'gateway unreachable over the tunnel';
      await Promise.race([deps.sleep(poll, signal), child.exited]);
    }
    return 'stopped';
  } finally {
    if (address) deps.onTunnelDown();
  }
}
