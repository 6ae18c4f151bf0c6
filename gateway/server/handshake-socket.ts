/**
 * A socket the Node front end handed over for a WebSocket handshake, from the hand-over until the
 * upstream switched protocols or an answer has been written. It keeps reading, so a client that leaves
 * (FIN or reset) is seen at once: the exchange is cancelled and the socket closed. Bytes a client sends
 * before the switch are kept for the upstream (bounded: WebSocket clients send none). Any answer other
 * than a switch closes the connection; a client that does not close its side gets `ANSWERED_LINGER_MS`
 * to read it, then the socket is cut. Without this, a refused handshake left the socket open for good.
 */
import type { Socket } from 'node:net';
import { Http1Response, type ResponseOwner } from './http1/response.ts';

/** Bytes kept from a client before the switch; past this, reading pauses until the upstream answers. */
const MAX_EARLY_BYTES = 64 * 1024;
/** How long a client may keep a refused handshake's connection open after the answer was written. */
export const ANSWERED_LINGER_MS = 5_000;

export class HandshakeSocket implements ResponseOwner {
  #early: Buffer[];
  #earlyBytes: number;
  #gone = false;
  #response: Http1Response | undefined;
  readonly #onData = (chunk: Buffer) => {
    this.#early.push(chunk);
    this.#earlyBytes += chunk.length;
    if (this.#earlyBytes > MAX_EARLY_BYTES) this.socket.pause();
  };
  readonly #onLeave = () => this.#leave();
  readonly #onError = () => this.socket.destroy();
  readonly #onDrain = () => this.#response?.observer?.drained();

  constructor(
    readonly socket: Socket,
    head: Buffer,
    /** An HTTP/1.0 client: answers are framed for it. */
    private readonly http10 = false,
  ) {
    this.#early = head.length > 0 ? [head] : [];
    this.#earlyBytes = head.length;
    socket.on('data', this.#onData);
    socket.on('end', this.#onLeave);
    socket.on('close', this.#onLeave);
    socket.on('error', this.#onError);
    socket.on('drain', this.#onDrain);
  }

  /** The client left (or the socket was cut): nothing more may be started for it. */
  get gone(): boolean {
    return this.#gone;
  }

  get date(): string {
    return new Date().toUTCString();
  }

  /** The answer to the handshake when it is not a switch: it closes the connection when it ends. */
  response(): Http1Response {
    this.#response ??= new Http1Response(this, false, this.http10, false);
    return this.#response;
  }

  responseDone(): void {
    if (this.#gone) return;
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), ANSWERED_LINGER_MS);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
  }

  /** The upstream switched protocols: stops watching and returns what the client sent meanwhile. */
  detach(): Buffer {
    const socket = this.socket;
    socket.off('data', this.#onData);
    socket.off('end', this.#onLeave);
    socket.off('close', this.#onLeave);
    socket.off('error', this.#onError);
    socket.off('drain', this.#onDrain);
    const early = Buffer.concat(this.#early);
    this.#early = [];
    return early;
  }

  #leave(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.socket.destroy();
    const response = this.#response;
    if (response !== undefined && !response.finished) response.observer?.clientClosed();
  }
}
