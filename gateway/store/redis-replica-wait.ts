/**
 * Writes that must survive a failover (a VPN address allocated, a container revoked) wait until one
 * replica holds them: WAIT 1 on the connection that sent the write, right after it. Redis replication
 * is asynchronous, so without this a primary that dies just after answering takes the write with it and
 * the promoted replica hands the same address to another container, or forgets a revocation.
 *
 * What an outcome means (redis/README.md): `acknowledged`, a replica has it; `no_replica`, the server has
 * no replica connected (one server, or a Sentinel/Cluster running degraded), WAIT is skipped; `timed_out`,
 * the write happened on the primary but no replica confirmed it within the wait: it stands (the caller
 * is answered as usual: undoing it could lose more), is logged, and counted here.
 */
import { Cluster, Command, type Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { family, type MetricsPart, sample } from '../metrics/exposition.ts';
import type { RedisClient } from './redis-clients.ts';

export type ReplicaWaitOutcome = 'acknowledged' | 'no_replica' | 'timed_out';
const OUTCOMES: readonly ReplicaWaitOutcome[] = ['acknowledged', 'no_replica', 'timed_out'];

/** The outcomes so far, as `gateway_store_replica_wait_total{outcome}` (shared by every Redis user). */
export class ReplicaWaits implements MetricsPart {
  readonly counts = new Map<ReplicaWaitOutcome, number>(OUTCOMES.map((o) => [o, 0]));

  constructor(private readonly log?: Logger) {}

  record(outcome: ReplicaWaitOutcome, write: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    if (outcome === 'timed_out') this.log?.warn('store write not confirmed by a replica', { write, outcome });
  }

  render(): string {
    return family(
      'gateway_store_replica_wait_total',
      'counter',
      'Writes that must survive a failover, by whether a replica confirmed them (WAIT 1).',
      OUTCOMES.map((o) =>
        sample('gateway_store_replica_wait_total', { outcome: o }, this.counts.get(o) ?? 0),
      ),
    );
  }
}

/** The connection that sent the writes to `key`: the client itself, or on a Cluster the slot's master. */
function connectionFor(client: RedisClient, key: string): Redis | undefined {
  if (!(client instanceof Cluster)) return client;
  const owner = client.slots[new Command('get', [key]).getSlot()]?.[0];
  return client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
}

/**
 * After writes to `keys` on `client`, waits up to `waitMs` for one replica of each primary they went to
 * (one on a single server or Sentinel, one per slot's master on a Cluster) to confirm them, and records
 * the outcomes. Never throws for a lagging replica; a failed ROLE or WAIT (the connection dropped) is a
 * store failure the caller reports like its write's own.
 */
export async function waitForReplica(
  client: RedisClient,
  keys: readonly string[],
  waitMs: number,
  waits: ReplicaWaits | undefined,
  write: string,
): Promise<void> {
  const nodes = new Set(keys.map((key) => connectionFor(client, key)));
  await Promise.all(
    [...nodes].map(async (node) => {
      if (!node) return; // the slot map is being refreshed: the write itself followed MOVED
      const role = (await node.role()) as [string, number, unknown[]?];
      if (role[0] !== 'master' || (role[2]?.length ?? 0) === 0) {
        waits?.record('no_replica', write);
        return;
      }
      const acknowledged = await node.wait(1, waitMs);
      waits?.record(acknowledged >= 1 ? 'acknowledged' : 'timed_out', write);
    }),
  );
}
