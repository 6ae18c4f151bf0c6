/**
 * Draining on SIGTERM or SIGINT (issue 16, design point 5), in this order, one log line per step:
 *  1. 'draining': /readyz answers 503 at once (a load balancer stops sending); the pool marks this gateway
 *     draining, so peers, `gatewayctl gateways` and new agent configs leave it out;
 *  2. DRAIN_GRACE of normal service: requests in flight and new ones that still arrive are answered;
 *  3. open WebSockets closed with 1001 (Going Away: a close frame, not a reset);
 *  4. OpenVPN stopped: with `explicit-exit-notify` its UDP clients are told to move on at once, TCP clients
 *     see the connection close;
 *  5. listeners closed, the rest of the gateway closed, 'drained' with counts, exit 0.
 * A second signal exits at once (status 1), OpenVPN signalled on the way out; the same signal within 1 s
 * of the first counts as the same delivery.
 */
import type { DrainFlag } from './control/health.ts';
import type { Logger } from './log.ts';

/**
 * The same signal again this soon is one delivery seen twice (a supervisor such as tsx relays what the
 * process group already got), not an operator asking to hurry.
 */
const DUPLICATE_MS = 1_000;
/** How long closed WebSockets get to flush their close frames before the listeners go. */
const CLOSE_FRAMES_MS = 2_000;
const POLL_MS = 25;

export interface DrainDeps {
  graceMs: number;
  log: Logger;
  /** Set at the first signal: /readyz fails from then on. */
  flag: DrainFlag;
  websockets: { readonly size: number; closeAll(reason: string): number };
  /** Present with the VPN on. */
  vpn?: { clients(): readonly unknown[]; stop(): Promise<void>; stopNow(): void };
  /**
   * The pool hook: mark this gateway draining in the pool's membership (membership.setDraining(true)).
   * Absent while the gateway is alone. A failure is logged, never fatal.
   */
  markDraining?: () => Promise<void>;
  /** Closes the listeners (public, admin, VPN side). */
  closeListeners(): Promise<void>;
  /** Closes the rest of the gateway (store, timers, OpenVPN if still running). */
  closeGateway(): Promise<void>;
  exit(code: number): void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the drain sequence; resolves after `exit(0)` was called. */
export async function drain(signal: string, deps: DrainDeps): Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const started = now();
  const { log, websockets, vpn } = deps;
  deps.flag.draining = true;
  log.info('draining', {
    signal,
    graceMs: deps.graceMs,
    webSockets: websockets.size,
    vpnClients: vpn?.clients().length ?? 0,
  });
  const marked = deps.markDraining?.().catch((err: unknown) =>
    log.warn('could not mark this gateway draining in the pool', {
      error: err instanceof Error ? err.message : String(err),
    }),
  );
  if (deps.graceMs > 0) await sleep(deps.graceMs);
  await marked;
  const webSocketsClosed = websockets.closeAll('gateway draining');
  for (let waited = 0; websockets.size > 0 && waited < CLOSE_FRAMES_MS; waited += POLL_MS)
    await sleep(POLL_MS);
  const webSocketsLeft = websockets.size;
  const vpnClients = vpn?.clients().length ?? 0;
  await vpn?.stop();
  await deps.closeListeners();
  await deps.closeGateway();
  log.info('drained', { signal, ms: now() - started, webSocketsClosed, webSocketsLeft, vpnClients });
  deps.exit(0);
}

/** Drains at the first SIGTERM or SIGINT; a second signal exits at once. */
export function drainOnSignals(deps: DrainDeps, on = process.on.bind(process)): void {
  const now = deps.now ?? Date.now;
  let first: { signal: string; at: number } | undefined;
  const handle = (signal: string) => {
    if (first) {
      if (signal === first.signal && now() - first.at < DUPLICATE_MS) return;
      deps.log.warn('second signal: exiting at once', { signal });
      deps.vpn?.stopNow();
      deps.exit(1);
      return;
    }
    first = { signal, at: now() };
    drain(signal, deps).catch((err: unknown) => {
      deps.log.error('drain failed', { error: err instanceof Error ? err.message : String(err) });
      deps.vpn?.stopNow();
      deps.exit(1);
    });
  };
  on('SIGTERM', () => handle('SIGTERM'));
  on('SIGINT', () => handle('SIGINT'));
}
