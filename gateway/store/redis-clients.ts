/**
 * Opens the command and subscriber connections for a Redis target (one server, Sentinel or Cluster) with
 * the store's deadlines: every command answers or fails within STORE_TIMEOUT, none waits in an offline
 * queue once the first connection was ready, none is sent again after a reconnect.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { asTarget, type RedisAddress, type RedisAuth, type RedisTarget } from './redis-target.ts';

/** A command connection of any kind: both classes share the command methods the gateway uses. */
export type RedisClient = Redis | Cluster;

/** Reconnect soon after a restart (ioredis 6's default backs off to 5 s): 100 ms, 200 ms, ... 1 s. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1_000);

/**
 * The command connection's options. Measured on ioredis 6 (Node, Deno and Bun alike): without
 * `commandTimeout` a command to a hung server (SIGSTOP, DEBUG SLEEP) waits for good; with the offline
 * queue a command to a dead one waits for reconnect attempts (0.2, 1.7, 10, 15 s as the back-off grows).
 * So: in-flight commands fail when the connection drops, and none is sent again after reconnecting (its
 * caller was already told it failed: a write must not land later).
 */
export const commandOptions = (timeoutMs: number): RedisOptions => ({
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: reconnectDelay,
  // Auto-pipelining holds a command until the previous batch has answered or timed out, and
  // `commandTimeout` starts only when it is sent: `RedisConnection.run` keeps the deadline from the call.
  enableAutoPipelining: true,
});

/** The change-feed subscriber: SUBSCRIBE may be queued until connected, no command waits past the deadline. */
export const subscriberOptions = (timeoutMs: number): RedisOptions => ({
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
  maxRetriesPerRequest: null,
  retryStrategy: reconnectDelay,
});

/**
 * Sentinel: ioredis asks the sentinels for the primary at each (re)connect and checks its role. The
 * failover detector subscribes to `+switch-master` on the sentinels and drops the connection when it
 * comes: without it a hung (not dead) old primary keeps the connection, and every command times out.
 */
const sentinelOptions = (target: Extract<RedisTarget, { kind: 'sentinel' }>, timeoutMs: number) => ({
  sentinels: target.sentinels,
  name: target.name,
  failoverDetector: true,
  sentinelCommandTimeout: timeoutMs,
  ...authOf(target),
  ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
});

/** The data nodes' AUTH, as ioredis takes it (absent fields stay absent). */
const authOf = (target: RedisAuth) => ({
  ...(target.username ? { username: target.username } : {}),
  ...(target.password ? { password: target.password } : {}),
});

/**
 * Cluster: the per-node options keep the deadlines. `retryDelayOnFailover: 0` and
 * `retryDelayOnClusterDown: 0` turn off ioredis' resending of a command whose connection closed (it may
 * have run: a write must not land after its caller was told it failed). MOVED and ASK redirects are
 * still followed (the command did not run). The slot map is refreshed on MOVED and every second.
 */
function openCluster(target: Extract<RedisTarget, { kind: 'cluster' }>, timeoutMs: number): Cluster {
  const { retryStrategy: _perServer, enableAutoPipelining, ...perNode } = commandOptions(timeoutMs);
  return new Cluster(target.nodes, {
    redisOptions: { ...perNode, ...authOf(target) },
    enableAutoPipelining,
    enableOfflineQueue: true,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: timeoutMs,
    slotsRefreshInterval: 1_000,
  });
}

/**
 * A command connection whose commands wait for the first connection (within the deadline), and from
 * then on fail at once while disconnected: the offline queue is turned off when it is first ready, as
 * commands queued during an outage would be sent after their callers were told they failed.
 */
export function openCommandConnection(url: string, timeoutMs: number): Redis;
export function openCommandConnection(target: string | RedisTarget, timeoutMs: number): RedisClient;
export function openCommandConnection(target: string | RedisTarget, timeoutMs: number): RedisClient {
  const t = asTarget(target);
  const options = { ...commandOptions(timeoutMs), enableOfflineQueue: true };
  const client: RedisClient =
    t.kind === 'server'
      ? new Redis(t.url, options)
      : t.kind === 'sentinel'
        ? new Redis({ ...options, ...sentinelOptions(t, timeoutMs) })
        : openCluster(t, timeoutMs);
  client.once('ready', () => {
    client.options.enableOfflineQueue = false;
  });
  return client;
}

/**
 * The change feed's subscriber connection. On a Cluster a PUBLISH reaches every node, so it is one plain
 * connection to one node; each reconnect attempt moves to the next listed node, so a dead node is left
 * behind (ioredis' own Cluster subscriber re-subscribes silently: the feed could not tell listeners to
 * reconcile).
 */
export function openSubscriber(target: string | RedisTarget, timeoutMs: number): Redis {
  const t = asTarget(target);
  const options = subscriberOptions(timeoutMs);
  if (t.kind === 'server') return new Redis(t.url, options);
  if (t.kind === 'sentinel') return new Redis({ ...options, ...sentinelOptions(t, timeoutMs) });
  let next = 0;
  const first = t.nodes[0] as RedisAddress;
  const sub: Redis = new Redis({
    ...options,
    ...authOf(t),
    host: first.host,
    port: first.port,
    retryStrategy: (attempt) => {
      // The connector reads host and port from these same options at each connect.
      const node = t.nodes[++next % t.nodes.length] as RedisAddress;
      sub.options.host = node.host;
      sub.options.port = node.port;
      return next % t.nodes.length === 0 ? reconnectDelay(attempt) : 0;
    },
  });
  return sub;
}
