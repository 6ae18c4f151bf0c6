/**
 * An undici dispatch handler that relays an upstream answer to the front end's response. One instance
 * per request, methods on the prototype and module-level callbacks (no per-request closures), raw header
 * arrays, back-pressure through `resume` and the response's `drained`. It writes the exchange's access
 * log line when the answer ends or is cut.
 */
import { errors } from 'undici';
import { ErrorCode } from '../../shared/errors.ts';
import type { AccessLog, Cut, ExchangeFacts } from '../proxy/access-log.ts';
import { nameBytes, nameIs } from '../proxy/header-bytes.ts';
import type { ScannedRequest } from '../proxy/headers.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';
import { filterRawResponseHeaders } from '../proxy/response-headers.ts';
import type { UpstreamFailures } from '../proxy/upstream-failures.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { AnswerDeadlines, AwaitingAnswer } from './answer-deadlines.ts';
import type { Http1Response, ResponseObserver } from './http1/response.ts';

export type UpstreamError = Error & { code?: string };

/** What a relay needs from the proxy: one object for every request. */
export interface RelayDeps {
  metrics: ProxyMetrics;
  answerDeadlines: AnswerDeadlines;
  accessLog: AccessLog;
  upstreamFailures: UpstreamFailures;
}

/** Writes a held chunk once the parser finished with the bytes at hand (see `held`). */
function flushHeld(relay: ResponseRelay): void {
  relay.flush();
}

const CONTENT_LENGTH = nameBytes('content-length');

/** An upstream answer's Content-Length, or -1 (none, or not plain digits). */
function contentLength(raw: Buffer[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    if (!nameIs(raw[i] as Buffer, CONTENT_LENGTH)) continue;
    const value = raw[i + 1] as Buffer;
    let n = 0;
    for (let j = 0; j < value.length; j++) {
      const d = (value[j] as number) - 0x30;
      if (d < 0 || d > 9 || j > 15) return -1;
      n = n * 10 + d;
    }
    return value.length > 0 ? n : -1;
  }
  return -1;
}

export class ResponseRelay implements ResponseObserver, AwaitingAnswer, ExchangeFacts {
  awaitingSince = 0;
  previousAwaiting: AwaitingAnswer | undefined;
  nextAwaiting: AwaitingAnswer | undefined;
  #abort: ((err?: Error) => void) | undefined;
  /** Given up before undici started the exchange (waiting for a connection): abort it when it does. */
  #cancelled: Error | undefined;
  #resume: (() => void) | undefined;
  #done = false;
  /**
   * The last chunk of an answer is held for its end, so a small answer leaves in one write (head, body
   * and end). With a Content-Length the last chunk is known (the end follows it in the same parse);
   * without one, a chunk is held until the parser has finished with the bytes at hand (the next tick),
   * so a lone streamed chunk (SSE) is still written at once.
   */
  #held: Buffer | undefined;
  /** Body bytes still to come when the answer has a Content-Length, else -1. */
  #left = -1;
  /** `performance.now()` when the request was handed to the pool. */
  readonly #sent: number;
  /** `performance.now()` when the upstream's answer head came, or -1. */
  #answered = -1;
  /** Body bytes written to the client. */
  #bytes = 0;
  #clientGone = false;

  constructor(
    private readonly res: Http1Response,
    private readonly deps: RelayDeps,
    /** Answers the client when the upstream failed before any byte of its answer was relayed. */
    private readonly onFailure: (relay: ResponseRelay, err: UpstreamError) => void,
    /** The request (the failure answer and the access log read it). */
    readonly scanned: ScannedRequest,
    readonly route: ResolvedRoute,
    readonly method: string,
    /** Path and query as the client sent them. */
    readonly target: string,
    /** `performance.now()` when the request arrived. */
    readonly started: number,
  ) {
    res.observer = this;
    this.#sent = performance.now();
    deps.answerDeadlines.start(this, this.#sent); // from dispatch, not from the request's start
  }

  get response(): Http1Response {
    return this.res;
  }

  /** `performance.now()` when the request was handed to the pool. */
  get sent(): number {
    return this.#sent;
  }

  /** `performance.now()` when the upstream's answer head came, or -1. */
  get answered(): number {
    return this.#answered;
  }

  /** Whether the client left before the answer ended (a failure then is not the upstream's). */
  get clientGone(): boolean {
    return this.#clientGone;
  }

  /** The access log line of an exchange whose answer was the app's (ended, or cut after its head). */
  protected logged(status: number, cut: Cut | undefined): void {
    const code = cut === 'upstream' ? ErrorCode.UpstreamFailed : undefined;
    this.deps.accessLog.exchange(this, status, this.#bytes, 'app', code, cut);
  }

  /** The client went away before the answer was complete: stop the upstream exchange. */
  clientClosed(): void {
    if (this.#done) return;
    this.#clientGone = true;
    const err = new Error('client went away');
    if (this.#abort) {
      this.#abort(err);
      return;
    }
    this.#cancelled = err;
    this.#done = true;
    this.deps.answerDeadlines.stop(this);
    // Nothing was answered (nginx's 499): the client left while a connection was awaited.
    this.deps.accessLog.exchange(this, 499, 0, 'gateway', undefined, 'client');
  }

  drained(): void {
    this.#resume?.();
  }

  /** The upstream switched protocols (a WebSocket handshake): no answer is awaited any more. */
  switched(): void {
    this.#done = true;
    this.deps.answerDeadlines.stop(this);
    this.#answered = performance.now();
  }

  flush(): void {
    if (this.#held !== undefined && !this.#done) {
      this.res.write(this.#held);
      this.#held = undefined;
    }
  }

  answerTimedOut(): void {
    const err = new errors.HeadersTimeoutError();
    if (this.#abort) {
      this.#abort(err); // undici answers with onError
      return;
    }
    // Still waiting for a connection: answer now, abort when undici starts the exchange.
    this.#cancelled = err;
    this.onError(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#cancelled) abort(this.#cancelled);
    else this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx interim answers are not relayed
    this.deps.answerDeadlines.stop(this);
    const answered = performance.now();
    this.#answered = answered;
    this.deps.metrics.upstreamAnswered((answered - this.#sent) / 1000);
    this.res.writeHead(status, statusText, filterRawResponseHeaders(raw, this.scanned.requestId));
    this.#left = contentLength(raw);
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    if (this.#left >= 0) {
      this.#left -= chunk.length;
      if (this.#left <= 0) this.#held = chunk;
      else this.res.write(chunk);
      return !this.res.needsDrain;
    }
    if (this.#held === undefined) process.nextTick(flushHeld, this);
    else this.res.write(this.#held);
    this.#held = chunk;
    // Back-pressure: undici pauses until 'drain' when the client is slower than the upstream.
    return !this.res.needsDrain;
  }

  onComplete(): void {
    this.#done = true;
    this.deps.answerDeadlines.stop(this);
    this.res.end(this.#held);
    this.deps.metrics.request(this.res.statusCode, (performance.now() - this.started) / 1000, 'app');
    this.logged(this.res.statusCode, undefined);
  }

  onError(err: UpstreamError): void {
    if (this.#done) return; // given up already, while waiting for a connection
    this.#done = true;
    this.deps.answerDeadlines.stop(this);
    if (this.res.headersSent) {
      this.res.destroy();
      this.deps.metrics.request(this.res.statusCode, (performance.now() - this.started) / 1000, 'app');
      if (!this.#clientGone)
        this.deps.upstreamFailures.failed(this.scanned, this.route, ErrorCode.UpstreamFailed, true);
      this.logged(this.res.statusCode, this.#clientGone ? 'client' : 'upstream');
      return;
    }
    this.onFailure(this, err);
  }
}
