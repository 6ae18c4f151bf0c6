/**
 * The Redis VpnStateStore: every key in the one slot `{vpn}` (see redis/README.md). Allocation, release
 * and revocation are Lua scripts (redis/vpn_*.lua), so they stay atomic across any number of gateways.
 * Allocation and revocation wait for a replica (redis-replica-wait.ts): a failover must not hand an
 * address out twice or forget a revoked certificate.
 */
import { readFileSync } from 'node:fs';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { RedisClient } from '../store/redis-clients.ts';
import { openCommandConnection } from '../store/redis-connection.ts';
import { RedisKeys as K } from '../store/redis-keys.ts';
import { type ReplicaWaits, waitForReplica } from '../store/redis-replica-wait.ts';
import type { RedisTarget } from '../store/redis-target.ts';
import { DEFAULT_VPN_SUBNET, parseSubnet, type VpnSubnet } from './ipam.ts';
import { normaliseSerial } from './pki-keys.ts';
import type { VpnStateStore } from './vpn-state.ts';

interface VpnScriptCommands {
  dgVpnAllocate(
    addresses: string,
    owners: string,
    cursor: string,
    ...argv: (string | number)[]
  ): Promise<string>;
  dgVpnRelease(addresses: string, owners: string, containerId: string): Promise<number>;
  dgVpnRevoke(
    serials: string,
    revokedSerials: string,
    revokedContainers: string,
    cid: string,
  ): Promise<string[]>;
}

const read = (name: string) => readFileSync(new URL(`../../redis/${name}.lua`, import.meta.url), 'utf8');

/** Defines the VPN script commands on a connection (EVALSHA, EVAL on a miss). */
function defineVpnScripts(redis: RedisClient): RedisClient & VpnScriptCommands {
  redis.defineCommand('dgVpnAllocate', { lua: read('vpn_allocate'), numberOfKeys: 3 });
  redis.defineCommand('dgVpnRelease', { lua: read('vpn_release'), numberOfKeys: 2 });
  redis.defineCommand('dgVpnRevoke', { lua: read('vpn_revoke'), numberOfKeys: 3 });
  return redis as RedisClient & VpnScriptCommands;
}

const storeFailed = () => new GatewayError(ErrorCode.StoreUnavailable, 'the store failed to answer', 503);

export class RedisVpnState implements VpnStateStore {
  readonly #redis: RedisClient & VpnScriptCommands;
  readonly #waitMs: number;
  readonly #replicaWaits: ReplicaWaits | undefined;
  readonly #subnet: VpnSubnet;
  /** Only a connection this instance opened is closed by close(). */
  readonly #ownsConnection: boolean;

  /**
   * `redis` is a URL or target (own connection) or an existing ioredis connection (shared; close() leaves
   * it open). An own connection has the store's deadline, `timeoutMs` (STORE_TIMEOUT): see
   * `openCommandConnection`; the replica wait after a write takes at most half of it.
   */
  constructor(
    redis: string | RedisTarget | RedisClient,
    subnet: string | VpnSubnet = DEFAULT_VPN_SUBNET,
    timeoutMs = 1_000,
    replicaWaits?: ReplicaWaits,
  ) {
    this.#subnet = typeof subnet === 'string' ? parseSubnet(subnet) : subnet;
    this.#waitMs = Math.max(1, Math.floor(timeoutMs / 2));
    this.#replicaWaits = replicaWaits;
    const own = typeof redis === 'string' || 'kind' in redis;
    this.#ownsConnection = own;
    const connection = own
      ? openCommandConnection(redis as string | RedisTarget, timeoutMs)
      : (redis as RedisClient);
    // Reconnects by itself; callers see failed commands as GW_ERR_STORE_UNAVAILABLE.
    if (this.#ownsConnection) connection.on('error', () => {});
    this.#redis = defineVpnScripts(connection);
  }

  async allocateAddress(containerId: string): Promise<string> {
    const { first, last, cidr, capacity } = this.#subnet;
    const address = await this.#redis
      .dgVpnAllocate(K.vpnAddresses, K.vpnAddressOwners, K.vpnCursor, containerId, first, last)
      .catch((e: unknown) => {
        if (e instanceof Error && e.message.includes('GW_POOL_EXHAUSTED')) {
          const why = `no free VPN address left in ${cidr} (${capacity} containers)`;
          throw new GatewayError(ErrorCode.AddressPoolExhausted, why, 503);
        }
        throw storeFailed();
      });
    await this.#guard(this.#durable(K.vpnAddresses, 'vpn address'));
    return address;
  }

  async releaseAddress(containerId: string): Promise<boolean> {
    const released = await this.#guard(
      this.#redis.dgVpnRelease(K.vpnAddresses, K.vpnAddressOwners, containerId),
    );
    return released === 1;
  }

  addressOf(containerId: string): Promise<string | null> {
    return this.#guard(this.#redis.hget(K.vpnAddresses, containerId));
  }

  containerAt(address: string): Promise<string | null> {
    return this.#guard(this.#redis.hget(K.vpnAddressOwners, address));
  }

  async listAddresses(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.#guard(this.#redis.hgetall(K.vpnAddresses))));
  }

  async setClientSerial(containerId: string, serialHex: string): Promise<void> {
    await this.#guard(this.#redis.hset(K.vpnSerials, containerId, normaliseSerial(serialHex)));
  }

  clientSerial(containerId: string): Promise<string | null> {
    return this.#guard(this.#redis.hget(K.vpnSerials, containerId));
  }

  async revoke(containerId: string): Promise<string[]> {
    const serials = await this.#guard(
      this.#redis.dgVpnRevoke(K.vpnSerials, K.vpnRevokedSerials, K.vpnRevokedContainers, containerId),
    );
    await this.#guard(this.#durable(K.vpnRevokedContainers, 'vpn revocation'));
    return serials;
  }

  async isRevoked(containerId: string): Promise<boolean> {
    return (await this.#guard(this.#redis.sismember(K.vpnRevokedContainers, containerId))) === 1;
  }

  async revokedSerials(): Promise<string[]> {
    // A SET has no order; sorted, so the CRL (and any diff of it) is the same on every gateway.
    return (await this.#guard(this.#redis.smembers(K.vpnRevokedSerials))).sort();
  }

  loadPki(): Promise<string | null> {
    return this.#guard(this.#redis.get(K.vpnPki));
  }

  async savePki(pki: string): Promise<string> {
    // The PKI is never rewritten once set, so reading it after a lost SET NX race sees the winner's.
    const set = await this.#guard(this.#redis.set(K.vpnPki, pki, 'NX'));
    if (set === 'OK') return pki;
    return (await this.#guard(this.#redis.get(K.vpnPki))) ?? pki;
  }

  /** Closes the connection when this instance opened it. */
  async close(): Promise<void> {
    if (!this.#ownsConnection) return;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** Waits for a replica to hold the write just made to `key` (see redis-replica-wait.ts). */
  #durable(key: string, write: string): Promise<void> {
    return waitForReplica(this.#redis, [key], this.#waitMs, this.#replicaWaits, write);
  }

  #guard<T>(pending: Promise<T>): Promise<T> {
    return pending.catch(() => Promise.reject(storeFailed()));
  }
}
