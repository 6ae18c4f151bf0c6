/**
 * The Redis pool state: every key in the one slot `{pool}` (redis/README.md), so each script stays in
 * one slot on a Cluster. Check-and-write steps are Lua scripts (redis/pool_*.lua), atomic across any
 * number of gateways; each publishes its changes on the store's channel (`dg:changes`) inside the script.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { openCommandConnection, type RedisClient } from '../store/redis-clients.ts';
import { failureReason } from '../store/redis-connection.ts';
import { RedisKeys as K } from '../store/redis-keys.ts';
import type { RedisTarget } from '../store/redis-target.ts';
import { StoreUnavailableError } from '../store/store.ts';
import type { ContainerLocation, GatewayMember, PoolStateStore } from './pool-state.ts';

interface PoolScriptCommands {
  dgPoolBeat(members: string, beats: string, ...argv: (string | number)[]): Promise<number>;
  dgPoolLeave(members: string, beats: string, id: string, channel: string): Promise<number>;
  dgPoolSetLocation(locations: string, epoch: string, ...argv: (string | number)[]): Promise<number>;
  dgPoolClearLocation(locations: string, ...argv: (string | number)[]): Promise<number>;
  dgPoolDropLocations(locations: string, id: string, channel: string): Promise<string[]>;
}

const read = (name: string) => readFileSync(new URL(`../../redis/${name}.lua`, import.meta.url), 'utf8');

function definePoolScripts(redis: RedisClient): RedisClient & PoolScriptCommands {
  redis.defineCommand('dgPoolBeat', { lua: read('pool_beat'), numberOfKeys: 2 });
  redis.defineCommand('dgPoolLeave', { lua: read('pool_leave'), numberOfKeys: 2 });
  redis.defineCommand('dgPoolSetLocation', { lua: read('pool_set_location'), numberOfKeys: 2 });
  redis.defineCommand('dgPoolClearLocation', { lua: read('pool_clear_location'), numberOfKeys: 1 });
  redis.defineCommand('dgPoolDropLocations', { lua: read('pool_drop_locations'), numberOfKeys: 1 });
  return redis as RedisClient & PoolScriptCommands;
}

/** A member as stored (without lastBeat, which has its own hash); an entry that does not parse is skipped. */
const StoredMember = z.object({
  id: z.string(),
  backbone: z.string().nullable(),
  vpnRemote: z.string().nullable(),
  version: z.string(),
  startedAt: z.number(),
  draining: z.boolean(),
});
const StoredLocation = z.object({ gatewayId: z.string(), epoch: z.number(), since: z.number() });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The stored text of a member: fixed field order, so an unchanged member compares equal in the script. */
const memberText = (m: Omit<GatewayMember, 'lastBeat'>) =>
  JSON.stringify({
    id: m.id,
    backbone: m.backbone,
    vpnRemote: m.vpnRemote,
    version: m.version,
    startedAt: m.startedAt,
    draining: m.draining,
  });

export class RedisPoolState implements PoolStateStore {
  readonly #redis: RedisClient & PoolScriptCommands;
  readonly #ownsConnection: boolean;

  /**
   * `redis` is a URL or target (own connection, with the store's deadline `timeoutMs`: STORE_TIMEOUT) or
   * an existing ioredis connection (shared; close() leaves it open). On a Cluster every key is in {pool}.
   */
  constructor(redis: string | RedisTarget | RedisClient, timeoutMs = 1_000) {
    this.#ownsConnection = typeof redis === 'string' || 'kind' in redis;
    const connection =
      typeof redis === 'string' || 'kind' in redis ? openCommandConnection(redis, timeoutMs) : redis;
    // Reconnects by itself; callers see failed commands as GW_ERR_STORE_UNAVAILABLE.
    if (this.#ownsConnection) connection.on('error', () => {});
    this.#redis = definePoolScripts(connection);
  }

  async beat(member: Omit<GatewayMember, 'lastBeat'>, now: number): Promise<boolean> {
    const answer = await this.#run((r) =>
      r.dgPoolBeat(K.poolMembers, K.poolBeats, member.id, memberText(member), now, K.changes),
    );
    return answer === 2;
  }

  async members(): Promise<GatewayMember[]> {
    const [members, beats] = await this.#run(async (r) => {
      const answers = await r.multi().hgetall(K.poolMembers).hgetall(K.poolBeats).exec();
      const [m, b] = (answers ?? []).map(([err, value]) => {
        if (err) throw err;
        return value as Record<string, string>;
      });
      return [m ?? {}, b ?? {}] as const;
    });
    const list: GatewayMember[] = [];
    for (const [id, text] of Object.entries(members)) {
      const parsed = StoredMember.safeParse(parseJson(text));
      if (parsed.success) list.push({ ...parsed.data, id, lastBeat: Number(beats[id] ?? 0) });
    }
    return list.sort((a, b) => b.lastBeat - a.lastBeat);
  }

  async leave(gatewayId: string): Promise<boolean> {
    return (await this.#run((r) => r.dgPoolLeave(K.poolMembers, K.poolBeats, gatewayId, K.changes))) === 1;
  }

  async setLocation(containerId: string, gatewayId: string, now: number): Promise<number> {
    const epoch = await this.#run((r) =>
      r.dgPoolSetLocation(K.poolLocations, K.poolEpoch, containerId, gatewayId, now, K.changes),
    );
    return Number(epoch);
  }

  async clearLocation(containerId: string, gatewayId: string, epoch: number): Promise<boolean> {
    const cleared = await this.#run((r) =>
      r.dgPoolClearLocation(K.poolLocations, containerId, gatewayId, epoch, K.changes),
    );
    return cleared === 1;
  }

  async dropLocationsOf(gatewayId: string): Promise<string[]> {
    return this.#run((r) => r.dgPoolDropLocations(K.poolLocations, gatewayId, K.changes));
  }

  async locations(): Promise<ContainerLocation[]> {
    const all = await this.#run((r) => r.hgetall(K.poolLocations));
    const list: ContainerLocation[] = [];
    for (const [containerId, text] of Object.entries(all)) {
      const parsed = StoredLocation.safeParse(parseJson(text));
      if (parsed.success) list.push({ containerId, ...parsed.data });
    }
    return list;
  }

  async close(): Promise<void> {
    if (!this.#ownsConnection) return;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** Runs a command; a failure is GW_ERR_STORE_UNAVAILABLE with its bounded reason. */
  async #run<T>(send: (redis: RedisClient & PoolScriptCommands) => Promise<T>): Promise<T> {
    try {
      return await send(this.#redis);
    } catch (err) {
      throw new StoreUnavailableError(failureReason(err));
    }
  }
}
