/**
 * The VPN loop: fetch the config, start OpenVPN, watch the tunnel address, and on any failure wait with
 * back-off before the next attempt. Tunnel up/down transitions are reported so services re-register
 * after every reconnect (OpenVPN's own reconnects included: the device address goes and comes back).
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
}

export const TUNNEL_UP_TIMEOUT_MS = 20_000;
export const TUNNEL_POLL_MS = 250;

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

type EndReason = 'stopped' | 'openvpn exited' | 'tunnel not up in time';

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
        deps.onTunnelUp(now);
      } else if (!now && address) {
        address = undefined;
        waitingSince = Date.now();
        deps.onTunnelDown();
      }
      if (!address && Date.now() - waitingSince > upTimeout) return 'tunnel not up in time';
      await Promise.race([deps.sleep(poll, signal), child.exited]);
    }
    return 'stopped';
  } finally {
    if (address) deps.onTunnelDown();
  }
}
