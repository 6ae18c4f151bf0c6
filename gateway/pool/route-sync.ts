/**
 * Keeps this gateway's kernel host routes to containers held by peers in step with the store (issue 16,
 * design point 4). `location` and `pool` changes on the feed schedule a recompute (desiredRoutes over
 * the pool's members and locations and the VPN addresses) and an apply; changes that arrive within
 * `coalesceMs` of each other become one batch, and never two applies run at once. A full reconcile (the
 * kernel read back) runs at start and after `resync` (the feed may have missed messages). A recompute
 * also runs every `refreshMs`, so a peer that stopped beating loses its routes even when nobody
 * announces it; a failed pass is retried sooner (from 250 ms, doubling). Stop removes this gateway's routes.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import type { StoreChange } from '../store/store.ts';
import type { VpnStateStore } from '../vpn/vpn-state.ts';
import { desiredRoutes } from './desired-routes.ts';
import type { KernelRoutes, RoutesOutcome } from './kernel-routes.ts';
import type { GatewayMember, PoolStateStore } from './pool-state.ts';

/** First retry after a failed pass (a store read or the kernel). */
const RETRY_FIRST_MS = 250;

export interface RouteSyncOptions {
  selfId: string;
  pool: Pick<PoolStateStore, 'members' | 'locations'>;
  vpnState: Pick<VpnStateStore, 'listAddresses'>;
  kernel: Pick<KernelRoutes, 'apply' | 'reconcile' | 'clear'>;
  subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>>;
  log: Logger;
  /** A member whose last heartbeat is older than this is dead: no routes to its containers. */
  deadAfterMs: number;
  /**
   * The members this gateway judges live by its own clock (Membership.liveMembers). When given, they
   * replace `pool.members()` and the lastBeat age test, which compares another gateway's clock with ours.
   */
  liveMembers?(): readonly GatewayMember[];
  /** Told when that judgement may have changed (Membership.onMembersChange): a recompute follows. */
  onMembersChange?(listener: () => void): () => void;
  /** Changes arriving within this of the first one go into the same batch (default 5 ms). */
  coalesceMs?: number;
  /** A recompute without any change this often (default deadAfterMs). */
  refreshMs?: number;
  now?: () => number;
  /** Told after each apply or reconcile (metrics, benchmarks). */
  onApplied?(outcome: RoutesOutcome, routes: number): void;
  /** Told after each pass that failed (metrics). */
  onFailed?(): void;
}

export interface RouteSync {
  /** Resolves once no recompute is scheduled or running (tests, benchmarks). */
  settled(): Promise<void>;
  /** Stops following the feed and removes this gateway's pool routes. */
  stop(): Promise<void>;
}

/** Subscribes to the feed, reconciles the kernel once, then follows changes. */
export async function startRouteSync(o: RouteSyncOptions): Promise<RouteSync> {
  const now = o.now ?? Date.now;
  const coalesceMs = o.coalesceMs ?? 5;
  let dirty = false;
  let wantReconcile = true;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failing = false;
  let idle: (() => void)[] = [];
  const refreshMs = o.refreshMs ?? o.deadAfterMs;
  /** After a failed pass, the next one is tried after this (doubling from RETRY_FIRST_MS up to refreshMs). */
  let retryMs = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const recompute = async () => {
    const reconcile = wantReconcile;
    wantReconcile = false;
    try {
      const [members, locations, addresses] = await Promise.all([
        o.liveMembers ? o.liveMembers() : o.pool.members(),
        o.pool.locations(),
        o.vpnState.listAddresses(),
      ]);
      const desired = desiredRoutes({
        selfId: o.selfId,
        members,
        locations,
        addresses,
        now: now(),
        deadAfterMs: o.liveMembers ? Number.POSITIVE_INFINITY : o.deadAfterMs,
      });
      const outcome = reconcile ? await o.kernel.reconcile(desired) : await o.kernel.apply(desired);
      if (failing) o.log.info('pool routes in step again', { routes: desired.size });
      failing = false;
      retryMs = 0;
      if (outcome.reconciled)
        o.log.info('pool routes reconciled', { routes: desired.size, ...counts(outcome) });
      o.onApplied?.(outcome, desired.size);
    } catch (error) {
      o.onFailed?.();
      wantReconcile = true; // the kernel may hold anything now: read it next time
      retryMs = Math.min(retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2, refreshMs);
      if (retry === undefined && !stopped)
        retry = setTimeout(() => {
          retry = undefined;
          schedule(true);
        }, retryMs);
      if (!failing)
        o.log.warn('pool routes not refreshed', {
          code: (error as { code?: string }).code ?? ErrorCode.Internal,
          error: (error as Error).message,
        });
      failing = true;
    }
  };

  const drain = async () => {
    while (dirty && !stopped) {
      dirty = false;
      await recompute();
    }
    running = null;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };

  const schedule = (reconcile: boolean) => {
    if (stopped) return;
    wantReconcile ||= reconcile;
    dirty = true;
    if (running !== null || timer !== undefined) return; // the running pass loops while dirty
    timer = setTimeout(() => {
      timer = undefined;
      if (running === null) running = drain();
    }, coalesceMs);
  };

  const unsubscribe = await o.subscribe((change) => {
    if (change.kind === 'location' || change.kind === 'pool') schedule(false);
    else if (change.kind === 'resync') schedule(true);
  });
  const stopMembers = o.onMembersChange?.(() => schedule(false));
  const refresh = setInterval(() => schedule(false), refreshMs);
  refresh.unref?.();
  dirty = true;
  running = drain();
  await running;

  return {
    settled() {
      if (running === null && timer === undefined && !dirty) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(refresh);
      stopMembers?.();
      if (retry !== undefined) clearTimeout(retry);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await unsubscribe().catch(() => undefined);
      await running;
      await o.kernel.clear();
      for (const resolve of idle) resolve();
      idle = [];
    },
  };
}

function counts(outcome: RoutesOutcome) {
  const { added, changed, removed, refused } = outcome;
  return { added, changed, removed, refused };
}
