/**
 * Keep-alive connection pools, one per upstream address:port, bounded in number; pools with no request
 * for a while are closed. Built for Node (undici); Deno and Bun forward with fetch.
 */
import type { OnReadOpts } from 'node:net';
import { Pool } from 'undici';

export interface UpstreamPoolOptions {
  /** Connections per upstream. */
  connections: number;
  connectTimeoutMs: number;
  /** Most pools kept; the least recently used is closed first. */
  maxPools: number;
  /** A pool unused this long is closed. */
  idleMs: number;
  /** How pooled sockets read (Node's `net.connect` `onread`); Node's default when absent. */
  reads?: OnReadOpts;
}

interface Entry {
  pool: Pool;
  lastUsed: number;
}

export class UpstreamPools {
  readonly #pools = new Map<string, Entry>();
  readonly #opts: UpstreamPoolOptions;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: UpstreamPoolOptions) {
    this.#opts = options;
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.max(1000, Math.min(options.idleMs, 30_000)));
    this.#sweeper.unref?.();
  }

  /** The pool for `origin` (`http://<address>:<port>`), created on first use. */
  get(origin: string, now: number): Pool {
    const entry = this.#pools.get(origin);
    if (entry) {
      entry.lastUsed = now;
      return entry.pool;
    }
    if (this.#pools.size >= this.#opts.maxPools) this.#closeLeastRecent();
    const pool = new Pool(origin, {
      connections: this.#opts.connections,
      pipelining: 1,
      connect: {
        timeout: this.#opts.connectTimeoutMs,
        ...(this.#opts.reads && { onread: this.#opts.reads }),
      },
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
    });
    this.#pools.set(origin, { pool, lastUsed: now });
    return pool;
  }

  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#pools.values()].map((e) => e.pool.destroy()));
    this.#pools.clear();
  }

  #closeLeastRecent(): void {
    let oldest: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [origin, e] of this.#pools) if (e.lastUsed < at) [oldest, at] = [origin, e.lastUsed];
    if (oldest !== undefined) this.#retire(oldest);
  }

  #closeIdle(): void {
    const cutoff = Date.now() - this.#opts.idleMs;
    for (const [origin, e] of this.#pools) if (e.lastUsed < cutoff) this.#retire(origin);
  }

  #retire(origin: string): void {
    const entry = this.#pools.get(origin);
    this.#pools.delete(origin);
    // close() lets running requests finish; upgraded sockets were detached from the pool already.
    void entry?.pool.close().catch(() => {});
  }
}
