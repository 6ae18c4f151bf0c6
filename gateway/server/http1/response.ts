/**
 * One answer on an HTTP/1.1 connection of the Node front end, written straight to the socket. The head is
 * held until the first body bytes (or the end) so a small answer leaves in one write; framing is chosen
 * then: the sender's Content-Length, else the whole body's length when it is known at the end, else
 * chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

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
  #headers: readonly string[] = [];
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
  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void {
    this.statusCode = status;
    this.#statusText = statusText || STATUS_CODES[status] || 'Unknown';
    this.#headers = headers;
  }

  /** Writes body bytes; false when the caller should wait for `drained()`. */
  write(chunk: Buffer): boolean {
    const socket = this.owner.socket;
    socket.cork();
    if (this.#framing === Framing.Pending) this.#writeHead(-1);
    this.#writeBody(chunk);
    socket.uncork();
    return !socket.writableNeedDrain;
  }

  /** Ends the answer, with a last chunk if given. */
  end(chunk?: Buffer | string): void {
    if (this.#finished) return;
    this.#finished = true;
    const socket = this.owner.socket;
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    socket.cork();
    if (this.#framing === Framing.Pending) this.#writeHead(body ? body.length : 0);
    if (body && body.length > 0) this.#writeBody(body);
    if (this.#framing === Framing.Chunked) socket.write('0\r\n\r\n', 'latin1');
    socket.uncork();
    this.owner.responseDone(this);
  }

  /** Cuts the connection (an upstream failed after the head was sent). */
  destroy(): void {
    this.#finished = true;
    this.owner.socket.destroy();
  }

  /** Writes the head; `length` is the whole body's size when known (at the end), else -1. */
  #writeHead(length: number): void {
    const headers = this.#headers;
    let head = `HTTP/1.1 ${this.statusCode} ${this.#statusText}\r\n`;
    let contentLength = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') contentLength = true;
      else if (name.length === 4 && name.toLowerCase() === 'date') date = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!date) head += `date: ${this.owner.date}\r\n`;
    if (this.headRequest || NO_BODY_STATUS(this.statusCode)) this.#framing = Framing.None;
    else if (contentLength) this.#framing = Framing.Fixed;
    else if (length >= 0) {
      head += `content-length: ${length}\r\n`;
      this.#framing = Framing.Fixed;
    } else if (!this.http10) {
      head += 'transfer-encoding: chunked\r\n';
      this.#framing = Framing.Chunked;
    } else {
      this.#framing = Framing.Close;
      this.keepAlive = false;
    }
    if (!this.keepAlive) head += 'connection: close\r\n';
    else if (this.http10) head += 'connection: keep-alive\r\n';
    this.owner.socket.write(`${head}\r\n`, 'latin1');
  }

  #writeBody(chunk: Buffer): void {
    if (chunk.length === 0 || this.#framing === Framing.None) return;
    const socket = this.owner.socket;
    if (this.#framing === Framing.Chunked) {
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      socket.write('\r\n', 'latin1');
    } else socket.write(chunk);
  }
}
