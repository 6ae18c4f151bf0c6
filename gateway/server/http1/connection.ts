/**
 * One client connection of the Node front end: reads request heads and bodies from the socket, one
 * request at a time (pipelined bytes wait), hands each to the handlers and writes the answers in order.
 * Bodies stream with back-pressure (the socket pauses while the consumer is full). Timeouts are checked
 * by the server's sweeper against `since`, so the per-request path sets a number instead of a timer.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { SharedReads } from '../shared-reads.ts';
import { ReadAhead } from './read-ahead.ts';
import { refusal } from './refusal.ts';
import type { Http1Handlers, Http1Request } from './request.ts';
import { type BodyDecoder, ChunkedBody, FixedLengthBody } from './request-body.ts';
import { CHUNKED, requestFraming } from './request-framing.ts';
import { HeadError, type HeadLimits, parseRequestHead } from './request-head.ts';
import { Http1Response, type ResponseOwner } from './response.ts';

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly limits: HeadLimits;
  readonly handlers: Http1Handlers;
  /** Sweeper ticks so far; timeouts compare against it. */
  readonly tick: number;
  readonly date: string;
  /** Where sockets read into, when the runtime allows a buffer shared by all connections. */
  readonly reads: SharedReads;
  forget(connection: Http1Connection): void;
  /** Told of every request refused here (the security log's `edge_refused`). */
  onRefused?(status: number, reason: string, remoteAddress: string): void;
}

/** Pipelined bytes read ahead while a request is in flight before the socket pauses. */
const MAX_READ_AHEAD = 64 * 1024;

enum Phase {
  Head,
  Body,
  Waiting,
  Gone,
}

/** Which clock `since` is running. */
export enum Timer {
  None,
  /** A request head has started (or the connection is new): the headers timeout. */
  Head,
  /** Between requests: the keep-alive timeout. */
  Idle,
}

export class Http1Connection implements ResponseOwner {
  timer = Timer.Head;
  since: number;
  #phase = Phase.Head;
  /** Bytes read and not yet used: an incomplete head, or pipelined requests. */
  readonly #ahead = new ReadAhead();
  #decoder: BodyDecoder | undefined;
  #body: Readable | undefined;
  #response: Http1Response | undefined;
  #parsing = false;
  /** The client finished sending (half-close): answer what was read, then close. */
  #clientEnded = false;
  readonly #remoteAddress: string;
  /** Reads are views of the shared buffer, valid only while they are handled: what is kept is copied. */
  readonly #borrowed: boolean;

  constructor(
    readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {
    this.since = context.tick;
    this.#remoteAddress = socket.remoteAddress ?? '';
    this.#borrowed = context.reads.adopt(socket, (chunk) => this.#onData(chunk));
    if (!this.#borrowed) socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#response?.observer?.drained());
    socket.on('error', () => socket.destroy());
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onClose());
  }

  get date(): string {
    return this.context.date;
  }

  /** The sweeper found `timer` expired: 408 for a slow head, a quiet close for an idle connection. */
  expire(): void {
    if (this.timer === Timer.Head && this.#ahead.size > 0)
      this.#reject(new HeadError(400, 'request head timed out'), 408);
    else this.socket.destroy();
  }

  /** Ends the connection at once (server shutdown). */
  destroy(): void {
    this.socket.destroy();
  }

  responseDone(response: Http1Response): void {
    if (response !== this.#response) return;
    this.#response = undefined;
    if (this.#phase === Phase.Gone) return; // refused or closed meanwhile: nothing more on this connection
    if (!response.keepAlive || this.#phase === Phase.Body) {
      // An answer before the whole request body was read: the rest cannot be skipped safely.
      this.#phase = Phase.Gone;
      this.timer = Timer.None;
      this.socket.end();
      return;
    }
    this.#phase = Phase.Head;
    this.timer = this.#ahead.size === 0 ? Timer.Idle : Timer.Head;
    this.since = this.context.tick;
    if (this.socket.isPaused()) this.socket.resume();
    this.#parse(undefined);
  }

  /** `chunk` as the connection may keep it past this read. */
  #keep(chunk: Buffer): Buffer {
    return this.#borrowed ? Buffer.from(chunk) : chunk;
  }

  #onData(chunk: Buffer): void {
    switch (this.#phase) {
      case Phase.Body:
        this.#feedBody(chunk, 0);
        return;
      case Phase.Head:
        if (this.timer === Timer.Idle) {
          this.timer = Timer.Head;
          this.since = this.context.tick;
        }
        // The usual case: nothing waiting, the whole head in this read.
        if (this.#ahead.size === 0) this.#parse(chunk);
        else if (this.#ahead.add(this.#keep(chunk)) || this.#ahead.size > this.context.limits.maxHeadBytes)
          this.#parse(undefined);
        return;
      case Phase.Waiting:
        this.#ahead.add(this.#keep(chunk));
        if (this.#ahead.size > MAX_READ_AHEAD) this.socket.pause();
        return;
      default:
        return;
    }
  }

  /**
   * Parses `buf` (else what was read ahead) and dispatches requests while the connection is free; an
   * answer given synchronously brings the loop back here instead of recursing.
   */
  #parse(buf: Buffer | undefined): void {
    if (this.#parsing) {
      if (buf !== undefined) this.#ahead.add(this.#keep(buf));
      return;
    }
    this.#parsing = true;
    try {
      let next = buf ?? this.#ahead.take();
      while (next !== undefined && this.#phase === Phase.Head && this.#next(next))
        next = this.#phase === Phase.Head ? this.#ahead.take() : undefined;
    } finally {
      this.#parsing = false;
    }
    if (this.#clientEnded && this.#phase === Phase.Head) this.#finish();
  }

  /**
   * Reads one request from `buf` (the read-ahead is empty); false when the head is still incomplete (the
   * bytes go back to the read-ahead) or the connection is done with.
   */
  #next(buf: Buffer): boolean {
    const head = parseRequestHead(buf, 0, this.context.limits);
    if (head === undefined) {
      this.#ahead.add(this.#keep(buf));
      return false;
    }
    if (head instanceof HeadError) return this.#reject(head, head.status);
    const framing = requestFraming(head);
    if (framing instanceof HeadError) return this.#reject(framing, framing.status);
    this.timer = Timer.None;
    const rest = head.end < buf.length ? buf.subarray(head.end) : undefined;
    if (framing.upgrade !== undefined) {
      this.#handOver(head, framing.host, framing.upgrade, rest);
      return false;
    }

    let body: Readable | null = null;
    if (framing.bodyLength !== 0) {
      this.#decoder =
        framing.bodyLength === CHUNKED ? new ChunkedBody() : new FixedLengthBody(framing.bodyLength);
      body = this.#body = new Readable({ read: () => this.socket.resume() });
      this.#phase = Phase.Body;
      if (framing.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    } else this.#phase = Phase.Waiting;
    const response = new Http1Response(this, head.method === 'HEAD', head.minor === 0, framing.keepAlive);
    this.#response = response;
    const request: Http1Request = {
      method: head.method,
      url: head.target,
      rawHeaders: head.rawHeaders,
      host: framing.host,
      minor: head.minor,
      remoteAddress: this.#remoteAddress,
      body,
      upgrade: undefined,
    };
    if (rest !== undefined) {
      if (this.#phase === Phase.Body) this.#feedBody(rest, 0);
      else this.#ahead.add(this.#keep(rest));
    }
    if ((this.#phase as Phase) === Phase.Gone) return false; // the body in hand was malformed: refused
    this.context.handlers.request(request, response);
    return true;
  }

  #feedBody(buf: Buffer, offset: number): void {
    const decoder = this.#decoder as BodyDecoder;
    const body = this.#body as Readable;
    const end = decoder.feed(buf, offset, (data) => {
      if (!body.push(this.#keep(data))) this.socket.pause();
    });
    if (end === -1) {
      body.destroy();
      this.#phase = Phase.Gone;
      if (this.#response?.headersSent) this.socket.destroy();
      else this.#reject(new HeadError(400, 'malformed chunked body'), 400);
      return;
    }
    if (!decoder.done) return;
    body.push(null);
    this.#decoder = undefined;
    this.#body = undefined;
    // The answer may have ended (and closed the connection) while the body was being handed over.
    if (this.#phase === Phase.Gone) return;
    this.#phase = Phase.Waiting;
    if (end < buf.length) this.#ahead.add(this.#keep(buf.subarray(end)));
  }

  #handOver(
    head: { method: string; target: string; rawHeaders: string[]; minor: 0 | 1 },
    host: string,
    upgrade: 'websocket',
    rest: Buffer | undefined,
  ): void {
    this.#phase = Phase.Gone;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('drain');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('end');
    if (this.#borrowed) this.context.reads.release(this.socket);
    this.context.forget(this);
    this.context.handlers.upgrade(
      {
        method: head.method,
        url: head.target,
        rawHeaders: head.rawHeaders,
        host,
        minor: head.minor,
        remoteAddress: this.#remoteAddress,
        body: null,
        upgrade,
      },
      this.socket,
      rest === undefined ? Buffer.alloc(0) : this.#keep(rest),
    );
  }

  /** Answers a request that cannot be read (or read in time) and closes; false: nothing more to parse. */
  #reject(error: HeadError, status: 400 | 408 | 431 | 505): false {
    this.#phase = Phase.Gone;
    this.#ahead.take();
    this.timer = Timer.None;
    this.context.onRefused?.(status, error.reason, this.#remoteAddress);
    if (this.socket.writable) this.socket.end(refusal(status, error.reason, this.context.date), 'latin1');
    else this.socket.destroy();
    return false;
  }

  /**
   * The client half-closed (the server allows half-open sockets, as node:http does): requests already
   * read are still answered, then the connection is closed. A body cut short cannot be answered.
   */
  #onEnd(): void {
    this.#clientEnded = true;
    if (this.#phase === Phase.Body) this.socket.destroy();
    else if (this.#phase === Phase.Head && this.#response === undefined) this.#finish();
  }

  /** Nothing more can come: close our side once written. */
  #finish(): void {
    this.#phase = Phase.Gone;
    this.timer = Timer.None;
    this.#ahead.take();
    this.socket.end();
  }

  #onClose(): void {
    this.#phase = Phase.Gone;
    this.context.forget(this);
    this.#body?.destroy(); // no error event: a body nobody reads must not throw; readers see a premature close
    const response = this.#response;
    this.#response = undefined;
    if (response !== undefined && !response.finished) response.observer?.clientClosed();
  }
}
