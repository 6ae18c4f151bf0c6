/**
 * The embedded pool state: one process is the whole pool. Its changes go out on the MemoryStore's feed
 * (`emit`), so a subscriber of the store sees `location` and `pool` changes as it would with Redis.
 */
import type { StoreChange } from '../store/store.ts';
import type { ContainerLocation, GatewayMember, PoolStateStore } from './pool-state.ts';

/** Where changes are published: the MemoryStore (`emit`), or any feed with the same method. */
export interface ChangeSink {
  emit(change: StoreChange): void;
}

/** Every field a beat compares (all but lastBeat): a change of any of them is announced. */
const sameMember = (a: GatewayMember, b: Omit<GatewayMember, 'lastBeat'>) =>
  a.backbone === b.backbone &&
  a.vpnRemote === b.vpnRemote &&
  a.version === b.version &&
  a.startedAt === b.startedAt &&
  a.draining === b.draining;

export class MemoryPoolState implements PoolStateStore {
  readonly #members = new Map<string, GatewayMember>();
  readonly #locations = new Map<string, ContainerLocation>();
  readonly #sink: ChangeSink;
  #epoch = 0;

  constructor(sink: ChangeSink) {
    this.#sink = sink;
  }

  async beat(member: Omit<GatewayMember, 'lastBeat'>, now: number): Promise<boolean> {
    const old = this.#members.get(member.id);
    this.#members.set(member.id, { ...member, lastBeat: now });
    if (!old || !sameMember(old, member)) this.#sink.emit({ kind: 'pool', gatewayId: member.id });
    return !old;
  }

  async members(): Promise<GatewayMember[]> {
    return [...this.#members.values()].map((m) => ({ ...m })).sort((a, b) => b.lastBeat - a.lastBeat);
  }

  async leave(gatewayId: string): Promise<boolean> {
    if (!this.#members.delete(gatewayId)) return false;
    this.#sink.emit({ kind: 'pool', gatewayId });
    return true;
  }

  async setLocation(containerId: string, gatewayId: string, now: number): Promise<number> {
    const epoch = ++this.#epoch;
    this.#locations.set(containerId, { containerId, gatewayId, epoch, since: now });
    this.#sink.emit({ kind: 'location', containerId, gatewayId, epoch });
    return epoch;
  }

  async clearLocation(containerId: string, gatewayId: string, epoch: number): Promise<boolean> {
    const at = this.#locations.get(containerId);
    if (!at || at.gatewayId !== gatewayId || at.epoch !== epoch) return false;
    this.#locations.delete(containerId);
    this.#sink.emit({ kind: 'location', containerId, gatewayId: null, epoch });
    return true;
  }

  async dropLocationsOf(gatewayId: string): Promise<string[]> {
    const dropped: string[] = [];
    for (const at of [...this.#locations.values()]) {
      if (at.gatewayId !== gatewayId) continue;
      this.#locations.delete(at.containerId);
      dropped.push(at.containerId);
      this.#sink.emit({ kind: 'location', containerId: at.containerId, gatewayId: null, epoch: at.epoch });
    }
    return dropped;
  }

  async locations(): Promise<ContainerLocation[]> {
    return [...this.#locations.values()].map((l) => ({ ...l }));
  }
}
