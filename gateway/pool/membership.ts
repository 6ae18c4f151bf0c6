/**
 * This gateway's membership of the pool (issue 16): a heartbeat every POOL_HEARTBEAT (never two at once),
 * and with each beat a look at the other members: one whose last beat is older than POOL_DEAD_AFTER is
 * declared dead by whichever live gateway sees it first (leave, then its locations dropped; both
 * idempotent, so two gateways doing it is harmless). The member list is cached here, refreshed by each
 * beat and by `pool` changes on the feed, for the parts that need it (route sync, drain, admin, metrics).
 */
import type { Logger } from '../log.ts';
import type { StoreChange } from '../store/store.ts';
import type { GatewayMember, PoolStateStore } from './pool-state.ts';

export type MemberState = 'alive' | 'draining' | 'dead';

export interface MembershipOptions {
  state: PoolStateStore;
  /** The store's change feed (`pool` changes and `resync` refresh the cache). */
  feed: { subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> };
  /** This gateway as its heartbeat describes it (draining is kept by the membership). */
  self: Omit<GatewayMember, 'lastBeat' | 'draining'>;
  heartbeatMs: number;
  deadAfterMs: number;
  log: Logger;
  now?: () => number;
}

/** Calls each listener; one that throws does not keep the others (or the heartbeat) from running. */
function notify<T>(listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch {
      // a listener's bug must not stop the heartbeat
    }
  }
}

export class Membership {
  readonly id: string;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly #o: MembershipOptions;
  readonly #now: () => number;
  #members: GatewayMember[] = [];
  /** Each member's last beat as read, and when (this gateway's clock) that value was first read. */
  readonly #seen = new Map<string, { lastBeat: number; at: number }>();
  #draining = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The beat (and check) running now: stop() and setDraining() wait for it, never overlap it. */
  #running: Promise<void> = Promise.resolve();
  #stopped = true;
  #unsubscribe: (() => Promise<void>) | undefined;
  #failing = false;
  /** Members another gateway declared dead first: their locations are dropped again at the next check. */
  readonly #lateDrops = new Set<string>();
  #joinedBefore = false;
  readonly #joinListeners = new Set<() => void>();
  readonly #changeListeners = new Set<(members: readonly GatewayMember[]) => void>();

  constructor(options: MembershipOptions) {
    this.#o = options;
    this.id = options.self.id;
    this.heartbeatMs = options.heartbeatMs;
    this.deadAfterMs = options.deadAfterMs;
    this.#now = options.now ?? Date.now;
  }

  /** Subscribes to the feed and beats once (a failure is logged, and the loop keeps trying). */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#unsubscribe = await this.#o.feed.subscribe((change) => {
      if (change.kind === 'pool' || change.kind === 'resync') void this.#refresh();
    });
    await this.#tick();
  }

  /** Every member of the pool as last read (this one included once it has beaten). */
  members(): readonly GatewayMember[] {
    return this.#members;
  }

  /** Members not dead (draining ones included: they still hold tunnels); `state` tells them apart. */
  liveMembers(): GatewayMember[] {
    const now = this.#now();
    return this.#members.filter((m) => this.stateOf(m, now) !== 'dead');
  }

  /**
   * Dead: its last beat has not changed for POOL_DEAD_AFTER by this gateway's clock (from when this
   * gateway first read it), so clocks that disagree between gateways do not kill anyone. A member never
   * read here is judged by its lastBeat's age.
   */
  stateOf(member: GatewayMember, now = this.#now()): MemberState {
    const seen = this.#seen.get(member.id);
    const since = seen?.lastBeat === member.lastBeat ? seen.at : member.lastBeat;
    if (now - since > this.deadAfterMs) return 'dead';
    return member.draining ? 'draining' : 'alive';
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Marks this gateway draining (or not) and beats at once, so peers and agents see it now. */
  async setDraining(draining: boolean): Promise<void> {
    this.#draining = draining;
    await this.#enqueue(() => this.#beat());
  }

  /** Called when this gateway (re)joins: after its first beat, and after peers had declared it dead. */
  onJoined(listener: () => void): () => void {
    this.#joinListeners.add(listener);
    return () => this.#joinListeners.delete(listener);
  }

  /** Called with the member list whenever it was read again. */
  onMembersChange(listener: (members: readonly GatewayMember[]) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Stops beating; with `leave` (a clean stop) this gateway leaves the pool at once. */
  async stop(options: { leave?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#unsubscribe?.();
    if (options.leave === false) return;
    const left = await this.#o.state.leave(this.id).catch(() => false);
    if (left) this.#o.log.info('gateway left', { gatewayId: this.id });
  }

  async #tick(): Promise<void> {
    await this.#enqueue(async () => {
      if (await this.#beat()) await this.#check();
    });
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.heartbeatMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Runs `step` after the one in flight: beats never overlap. */
  #enqueue(step: () => Promise<unknown>): Promise<void> {
    const next = this.#running.then(step).then(
      () => undefined,
      () => undefined,
    );
    this.#running = next;
    return next;
  }

  /** One heartbeat; a failure is logged once per outage. Returns whether it reached the store. */
  async #beat(): Promise<boolean> {
    try {
      const joined = await this.#o.state.beat({ ...this.#o.self, draining: this.#draining }, this.#now());
      if (this.#failing) this.#o.log.info('pool heartbeat restored', { gatewayId: this.id });
      this.#failing = false;
      if (joined) {
        this.#o.log.info('gateway joined', { gatewayId: this.id, rejoined: this.#joinedBefore });
        this.#joinedBefore = true;
        notify(this.#joinListeners, undefined);
      }
      return true;
    } catch (err) {
      if (!this.#failing) {
        this.#o.log.warn('pool heartbeat failed', {
          gatewayId: this.id,
          code: (err as { code?: string }).code ?? 'unknown',
        });
      }
      this.#failing = true;
      return false;
    }
  }

  /**
   * Reads the members and declares dead those whose last beat is too old. The gateway whose leave()
   * removed the member drops its locations and logs the one line. One that found it already removed
   * drops again a beat later (by then the first has finished), in case the first died in between.
   */
  async #check(): Promise<void> {
    const members = await this.#refresh();
    if (!members) return;
    const now = this.#now();
    for (const id of this.#lateDrops) {
      this.#lateDrops.delete(id);
      if (members.some((m) => m.id === id)) continue; // it came back: its locations are its own again
      const dropped = await this.#o.state.dropLocationsOf(id);
      if (dropped.length > 0)
        this.#o.log.warn('gateway dead', { gatewayId: id, containersDropped: dropped.length, late: true });
    }
    const dead = members.filter((m) => m.id !== this.id && this.stateOf(m, now) === 'dead');
    for (const m of dead) {
      if (!(await this.#o.state.leave(m.id))) {
        this.#lateDrops.add(m.id);
        continue;
      }
      const dropped = await this.#o.state.dropLocationsOf(m.id);
      this.#o.log.warn('gateway dead', {
        gatewayId: m.id,
        lastBeatAgoMs: now - m.lastBeat,
        containersDropped: dropped.length,
        declaredBy: this.id,
      });
    }
    if (dead.length > 0) await this.#refresh();
  }

  async #refresh(): Promise<GatewayMember[] | undefined> {
    try {
      const members = await this.#o.state.members();
      const now = this.#now();
      for (const m of members) {
        if (this.#seen.get(m.id)?.lastBeat !== m.lastBeat)
          this.#seen.set(m.id, { lastBeat: m.lastBeat, at: now });
      }
      for (const id of this.#seen.keys()) if (!members.some((m) => m.id === id)) this.#seen.delete(id);
      this.#members = members;
      notify(this.#changeListeners, members);
      return members;
    } catch {
      return undefined; // the cache stays as it was; the next beat reads again
    }
  }
}
