/**
 * The Redis connections' deadlines (STORE_TIMEOUT) and how their failures reach callers: every command
 * answers or fails within the deadline, and a failure is a `StoreUnavailableError` with a bounded reason.
 */
import { conflict, type GatewayError } from '../../shared/errors.ts';
import { openCommandConnection, type RedisClient } from './redis-clients.ts';
import { defineScripts, type ScriptCommands } from './redis-scripts.ts';
import type { RedisTarget } from './redis-target.ts';
import {
  containerRevoked,
  ownListenerRefused,
  type StoreFailureReason,
  type StoreObserver,
  StoreUnavailableError,
} from './store.ts';

/** Where the connections are opened (kept importable from here for the VPN and pool states). */
export { openCommandConnection };

const DISCONNECTED =
  /Stream isn't writeable|Connection is closed|max retries per request|ECONNRESET|EPIPE|Cluster isn't ready|Too many Cluster redirections|CLUSTERDOWN|Failed to refresh slots cache/;

/** The bounded reason of a failed command (ioredis says it in the message only). */
export function failureReason(err: unknown): StoreFailureReason {
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'Command timed out') return 'timeout';
  if (/ECONNREFUSED/.test(message)) return 'refused';
  // A missing or wrong password, or an ACL user without the right (REDIS_PASSWORD, REDIS_URL's user info).
  if (/^(NOAUTH|WRONGPASS|NOPERM)\b|ERR invalid password|ERR AUTH/.test(message)) return 'auth';
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
  readonly redis: RedisClient & ScriptCommands;
  readonly #timeoutMs: number;
  readonly #observer: StoreObserver;
  #lastError = '';
  #closing = false;

  constructor(target: string | RedisTarget, timeoutMs: number, observer: StoreObserver = quietObserver) {
    this.#timeoutMs = timeoutMs;
    this.#observer = observer;
    this.redis = defineScripts(openCommandConnection(target, timeoutMs));
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
  async run<T>(send: (redis: RedisClient & ScriptCommands) => Promise<T>, observed = true): Promise<T> {
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
