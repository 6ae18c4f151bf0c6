/**
 * An undici dispatch handler that relays an upstream answer to a Node ServerResponse. One instance per
 * request, methods on the prototype and module-level callbacks (no per-request closures), raw header
 * arrays, back-pressure through `resume`/'drain'.
 */
import type { ServerResponse } from 'node:http';
import { filterResponseHeaders } from '../proxy/headers.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';

type UpstreamError = Error & { code?: string };
const kRelay = Symbol('relay');
type RelayedResponse = ServerResponse & { [kRelay]?: ResponseRelay };

/** The client went away before the answer was complete: stop the upstream exchange. */
function onClientClose(this: RelayedResponse): void {
  this[kRelay]?.clientClosed();
}

/** Writes a held chunk once the parser finished with the bytes at hand (see `held`). */
function flushHeld(relay: ResponseRelay): void {
  relay.flush();
}

export class ResponseRelay {
  #abort: ((err?: Error) => void) | undefined;
  #done = false;
  /**
   * A chunk is held back until the parser has finished with the bytes at hand (the next tick): when the
   * end arrives with it, a small answer leaves in one write (head, body and end); a lone streamed chunk
   * (SSE) is written at once.
   */
  #held: Buffer | undefined;

  constructor(
    private readonly res: RelayedResponse,
    private readonly metrics: ProxyMetrics,
    private readonly started: number,
    /** Answers the client when the upstream failed before any byte of its answer was relayed. */
    private readonly onFailure: (relay: ResponseRelay, err: UpstreamError) => void,
    /** What `onFailure` needs to know about the exchange (route, origin, ...), opaque here. */
    readonly context: unknown,
  ) {
    res[kRelay] = this;
    res.once('close', onClientClose);
  }

  get response(): ServerResponse {
    return this.res;
  }

  clientClosed(): void {
    if (!this.#done) this.#abort?.(new Error('client went away'));
  }

  flush(): void {
    if (this.#held !== undefined && !this.#done) {
      this.res.write(this.#held);
      this.#held = undefined;
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx interim answers are not relayed
    this.res.writeHead(status, statusText, filterResponseHeaders(raw));
    this.res.on('drain', resume);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#held === undefined) process.nextTick(flushHeld, this);
    else this.res.write(this.#held);
    this.#held = chunk;
    // Back-pressure: undici pauses until 'drain' when the client is slower than the upstream.
    return !this.res.writableNeedDrain;
  }

  onComplete(): void {
    this.#done = true;
    this.res.end(this.#held);
    this.metrics.request(this.res.statusCode, (performance.now() - this.started) / 1000);
  }

  onError(err: UpstreamError): void {
    this.#done = true;
    if (this.res.headersSent) {
      this.res.destroy(err);
      this.metrics.request(this.res.statusCode, (performance.now() - this.started) / 1000);
      return;
    }
    this.onFailure(this, err);
  }
}
