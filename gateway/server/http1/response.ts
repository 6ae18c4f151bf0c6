/**
 * One answer on an HTTP/1.1 connection of the Node front end, written straight to the socket. The head is
 * held until the first body bytes (or the end) so a small answer leaves in one write; framing is chosen
 * then: the sender's Content-Length, else the whole body's length when it is known at the end, else
 * chunked (HTTP/1.1) or close-delimited (HTTP/1.0). The writes of an ending answer are held to the end of
 * the event-loop turn (write-batch.ts), with the other answers that end in it.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { nameBytes, nameIs } from '../../proxy/header-bytes.ts';
import { holdUntilTurnEnds } from './write-batch.ts';

/** A header name or value: a string, or raw bytes passed through from an upstream. */
export type HeaderItem = string | Buffer;

/** What a response reports to the code that produces it (the relay from an upstream). */
export interface ResponseObserver {
  /** The client went away before the answer was complete. */
  clientClosed(): void;
  /** The socket can take more after `write` returned false. */
  drained(): void;
}

/** The connection's side of a response. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The current `Date` header value (refreshed once a second). */
  readonly date: string;
  /** The answer has been written in full. */
  responseDone(response: Http1Response): void;
}

/** Body bytes up to this size are copied next to their framing and written in one piece. */
const COPY_LIMIT = 16 * 1024;

const CONTENT_LENGTH = nameBytes('content-length');
const DATE = nameBytes('date');

const isNamed = (item: HeaderItem, lower: Buffer): boolean =>
  typeof item === 'string'
    ? item.length === lower.length && item.toLowerCase() === lower.toString('latin1')
    : nameIs(item, lower);

/** Copies a header item into `out` at `pos`; returns the position after it. */
const put = (out: Buffer, pos: number, item: HeaderItem): number => {
  if (typeof item === 'string') return pos + out.write(item, pos, 'latin1');
  out.set(item, pos);
  return pos + item.length;
};

const NO_BODY_STATUS = (status: number) => status < 200 || status === 204 || status === 304;

enum Framing {
  Pending,
  None,
  Fixed,
  Chunked,
  Close,
}

export class Http1Response {
  statusCode = 0;
  observer: ResponseObserver | undefined;
  #headers: readonly HeaderItem[] = [];
  #statusText = '';
  #framing = Framing.Pending;
  #finished = false;

  constructor(
    private readonly owner: ResponseOwner,
    /** HEAD: the head only, whatever the headers say. */
    private readonly headRequest: boolean,
    /** HTTP/1.0 client. */
    private readonly http10: boolean,
    /** Whether the connection may carry another request after this one. */
    public keepAlive: boolean,
  ) {}

  /** Whether the head has left (after which an error can only cut the connection). */
  get headersSent(): boolean {
    return this.#framing !== Framing.Pending;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Whether the client is slower than what is written: wait for `observer.drained()`. */
  get needsDrain(): boolean {
    return this.owner.socket.writableNeedDrain;
  }

  /** Sets the status and headers (flat `[name, value, ...]`, hop-by-hop already removed). */
  writeHead(status: number, statusText: string | undefined, headers: readonly HeaderItem[]): void {
    this.statusCode = status;
    this.#statusText = statusText || STATUS_CODES[status] || 'Unknown';
    this.#headers = headers;
  }

  /** Writes body bytes; false when the caller should wait for `drained()`. */
  write(chunk: Buffer): boolean {
    // An empty chunk must not reach the chunked coding: "0\r\n\r\n" would end the body.
    if (chunk.length === 0 && this.#framing !== Framing.Pending) return !this.owner.socket.writableNeedDrain;
    if (this.#framing === Framing.Pending) this.#writeFirst(-1, chunk);
    else if (this.#framing === Framing.Chunked) this.#send(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    else if (this.#framing !== Framing.None) this.#send('', chunk, '');
    return !this.owner.socket.writableNeedDrain;
  }

  /** Ends the answer, with a last chunk if given; its last bytes leave at the end of this turn. */
  end(chunk?: Buffer | string): void {
    if (this.#finished) return;
    this.#finished = true;
    holdUntilTurnEnds(this.owner.socket);
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const size = body === undefined ? 0 : body.length;
    if (this.#framing === Framing.Pending) this.#writeFirst(size, body);
    else if (this.#framing === Framing.Chunked)
      this.#send(size > 0 ? `${size.toString(16)}\r\n` : '', body, size > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n');
    else if (this.#framing !== Framing.None && size > 0) this.#send('', body, '');
    this.owner.responseDone(this);
  }

  /** Cuts the connection (an upstream failed after the head was sent). */
  destroy(): void {
    this.#finished = true;
    this.owner.socket.destroy();
  }

  /** Chooses the framing; `length` is the whole body's size when known (at the end), else -1. */
  #frame(length: number, contentLength: boolean): string {
    if (this.headRequest || NO_BODY_STATUS(this.statusCode)) this.#framing = Framing.None;
    else if (contentLength) this.#framing = Framing.Fixed;
    else if (length >= 0) this.#framing = Framing.Fixed;
    else if (!this.http10) this.#framing = Framing.Chunked;
    else {
      this.#framing = Framing.Close;
      this.keepAlive = false;
    }
    let extra = '';
    if (this.#framing === Framing.Fixed && !contentLength) extra = `content-length: ${length}\r\n`;
    else if (this.#framing === Framing.Chunked) extra = 'transfer-encoding: chunked\r\n';
    if (!this.keepAlive) extra += 'connection: close\r\n';
    else if (this.http10) extra += 'connection: keep-alive\r\n';
    return extra;
  }

  /**
   * Writes the head and the first body bytes (framed) in one buffer: raw header bytes from an upstream
   * are copied, never turned into strings. Large data goes in its own write (no copy).
   */
  #writeFirst(length: number, data: Buffer | undefined): void {
    const headers = this.#headers;
    const statusLine = `HTTP/1.1 ${this.statusCode} ${this.#statusText}\r\n`;
    let headSize = statusLine.length + 2;
    let contentLength = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as HeaderItem;
      if (name.length === 14) contentLength ||= isNamed(name, CONTENT_LENGTH);
      else if (name.length === 4) date ||= isNamed(name, DATE);
      headSize += name.length + (headers[i + 1] as HeaderItem).length + 4;
    }
    let extra = this.#frame(length, contentLength);
    if (!date) extra += `date: ${this.owner.date}\r\n`;
    headSize += extra.length;
    const size = data === undefined || this.#framing === Framing.None ? 0 : data.length;
    const framing = size > 0 && this.#framing === Framing.Chunked ? `${size.toString(16)}\r\n` : '';
    const ending = framing === '' ? '' : '\r\n';
    const inline = size <= COPY_LIMIT;
    const out = Buffer.allocUnsafe(headSize + (inline ? framing.length + size + ending.length : 0));
    let pos = out.write(statusLine, 0, 'latin1');
    for (let i = 0; i < headers.length; i += 2) {
      pos = put(out, pos, headers[i] as HeaderItem);
      out[pos++] = 0x3a; // ':'
      out[pos++] = 0x20;
      pos = put(out, pos, headers[i + 1] as HeaderItem);
      out[pos++] = 0x0d;
      out[pos++] = 0x0a;
    }
    pos += out.write(extra, pos, 'latin1');
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
    if (!inline) {
      this.owner.socket.cork();
      this.owner.socket.write(out);
      this.#send(framing, data as Buffer, ending);
      this.owner.socket.uncork();
      return;
    }
    if (size > 0) {
      pos += out.write(framing, pos, 'latin1');
      out.set(data as Buffer, pos);
      pos += size;
      out.write(ending, pos, 'latin1');
    }
    this.owner.socket.write(out);
  }

  /**
   * Writes `framing` (latin1), `data` and `suffix`: as one buffer when the data is small (one syscall,
   * no cork bookkeeping), else as separate writes under cork (no copy of large data).
   */
  #send(framing: string, data: Buffer | undefined, suffix: string): void {
    const socket = this.owner.socket;
    const size = data === undefined ? 0 : data.length;
    if (size > COPY_LIMIT) {
      socket.cork();
      if (framing.length > 0) socket.write(framing, 'latin1');
      socket.write(data as Buffer);
      if (suffix.length > 0) socket.write(suffix, 'latin1');
      socket.uncork();
      return;
    }
    if (framing.length === 0 && suffix.length === 0) {
      if (size > 0) socket.write(data as Buffer);
      return;
    }
    const out = Buffer.allocUnsafe(framing.length + size + suffix.length);
    let pos = out.write(framing, 0, 'latin1');
    if (data !== undefined) out.set(data, pos);
    pos += size;
    out.write(suffix, pos, 'latin1');
    socket.write(out);
  }
}
