/** What the front end hands its handlers: a request, and for upgrades the socket itself. */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Http1Response } from './response.ts';

/** A request as the handlers see it. */
export interface Http1Request {
  readonly method: string;
  /** The request target (origin-form). */
  readonly url: string;
  readonly rawHeaders: string[];
  /** The Host header, read once by the framing pass ('' when an HTTP/1.0 request has none). */
  readonly host: string;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  readonly minor: 0 | 1;
  readonly remoteAddress: string;
  /** The body as a stream, or null when the request has none. */
  readonly body: Readable | null;
  /** `websocket` for a WebSocket handshake (the only upgrade the front end hands over). */
  readonly upgrade: 'websocket' | undefined;
}

export interface Http1Handlers {
  request(req: Http1Request, res: Http1Response): void;
  /** The socket is the handler's from now on; `head` holds bytes already read past the request head. */
  upgrade(req: Http1Request, socket: Socket, head: Buffer): void;
}
