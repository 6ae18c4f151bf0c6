/**
 * The Redis connections' deadlines (STORE_TIMEOUT) and how their failures reach callers: every command
 * answers or fails within the deadline, and a failure is a `StoreUnavailableError` with a bounded reason.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { conflict, type GatewayError } from '../../shared/errors.ts';
import { defineScripts, type ScriptCommands } from './redis-scripts.ts';
import {
  containerRevoked,
  ownListenerRefused,
  type StoreFailureReason,
  type StoreObserver,
  StoreUnavailableError,
} from './store.ts';

/** Reconnect soon after a restart (ioredis 6's default backs off to 5 s): 100 ms, 200 ms, ... 1 s. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1_000);

/**
 * The command connection's options. Measured on ioredis 6 (Node, Deno and Bun alike): without
 * `commandTimeout` a command to a hung server (SIGSTOP, DEBUG SLEEP) waits for good; with the offline
 * queue a command to a dead one waits for reconnect attempts (0.2, 1.7, 10, 15 s as the back-off grows).
 * So: in-flight commands fail when the connection drops, and none is sent again after reconnecting (its
 * caller was already told it failed: a write must not land later). See `openCommandConnection` for the
 * offline queue.
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

/**
 * A command connection whose commands wait for the first connection (within the deadline), and from
 * then on fail at once while disconnected: the offline queue is turned off when it is first ready, as
 * commands queued during an outage would be sent after their callers were told they failed.
 */
export function openCommandConnection(url: string, timeoutMs: number): Redis {
  const redis = new Redis(url, { ...commandOptions(timeoutMs), enableOfflineQueue: true });
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  return redis;
}

/**
 * The change-feed subscriber: SUBSCRIBE may be queued until connected (ioredis subscribes again after
 * each reconnect), but no command waits past the deadline.
 */
export const subscriberOptions = (timeoutMs: number): RedisOptions => ({
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
  maxRetriesPerRequest: null,
  retryStrategy: reconnectDelay,
});

const DISCONNECTED = /Stream isn't writeable|Connection is closed|max retries per request|ECONNRESET|EPIPE/;

/** The bounded reason of a failed command (ioredis says it in the message only). */
export function failureReason(err: unknown): StoreFailureReason {
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'Command timed out') return 'timeout';
  if (/ECONNREFUSED/.test(message)) return 'refused';
  if (DISCONNECTED.test(message)) return 'disconnected';
  return 'server_error';
}

/** A script's refusal (conflict, revoked, own listener) as its typed error; undefined for a failure. */
function refusal(err: unknown): GatewayError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const host = /GW_CONFLICT (\S+)/.exec(message)?.[1];
  if (host) return conflict(`hostname ${host} is already taken by another container or service`);
  const revoked = /GW_REVOKED (\S+)/.exec(message)?.[1];
  if (revoked) return containerRevoked(revoked);
  const port = /GW_OWN_LISTENER (\d+)/.exec(message)?.[1];
  if (port) return ownListenerRefused(Number(port));
  return undefined;
}

const quietObserver: StoreObserver = { succeeded() {}, failed() {} };

/** One command connection: runs commands under the deadline and reports each outcome. */
export class RedisConnection {
  readonly redis: Redis & ScriptCommands;
  readonly #timeoutMs: number;
  readonly #observer: StoreObserver;
  #lastError = '';
  #closing = false;

  constructor(url: string, timeoutMs: number, observer: StoreObserver = quietObserver) {
    this.#timeoutMs = timeoutMs;
    this.#observer = observer;
    this.redis = defineScripts(openCommandConnection(url, timeoutMs));
    this.redis.on('error', (err: Error) => (this.#lastError = err.message));
    this.redis.on('ready', () => observer.succeeded());
    this.redis.on('close', () => {
      if (!this.#closing) observer.failed(failureReason(this.#lastError || 'Connection is closed'));
      this.#lastError = '';
    });
  }

  /**
   * Runs a command: resolves with its answer, or rejects with a typed refusal or StoreUnavailableError.
   * `observed: false` keeps the outcome from the observer (the health check reports its own).
   */
  async run<T>(send: (redis: Redis & ScriptCommands) => Promise<T>, observed = true): Promise<T> {
    const observer = observed ? this.#observer : quietObserver;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), this.#timeoutMs);
    });
    try {
      const answer = await Promise.race([send(this.redis), deadline]);
      observer.succeeded(performance.now() - started);
      return answer;
    } catch (err) {
      const refused = refusal(err);
      if (refused) {
        observer.succeeded(performance.now() - started);
        throw refused;
      }
      const reason = failureReason(err);
      observer.failed(reason, performance.now() - started);
      throw new StoreUnavailableError(reason);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
