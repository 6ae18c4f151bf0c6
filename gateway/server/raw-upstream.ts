/**
 * The Deno adapter's upstream WebSockets on a plain TCP connection (`node:net`), so that the app is read
 * only as fast as the client takes it. Deno's own WebSocket client reads its socket as fast as the app
 * writes and offers no way to stop, so a client slower than its app (a terminal's `cat` of a large file)
 * could only be cut off (1009) once 64 MiB were queued. Here the handshake is `upstream-handshake.ts`'s,
 * as on Node (Host and the forwarded headers written as they are), the frames are `ws-frames.ts`'s, and
 * `pause` stops reading the app's socket until the relay resumes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
// Node's timers (also on Deno, whose global setTimeout returns a number without `unref`).
import { setTimeout as nodeTimeout } from 'node:timers';
import { ErrorCode } from '../../shared/errors.ts';
import { upstreamErrorCode } from './upstream-error-code.ts';
import { type HandshakeHandler, sendHandshake } from './upstream-handshake.ts';
import type { HandshakeFailure, UpstreamEvents, UpstreamSocket } from './web-socket-handshake.ts';
import {
  closePayload,
  decodeText,
  encodeFrame,
  FrameReader,
  type FrameSink,
  INVALID_PAYLOAD,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  PROTOCOL_ERROR,
  readClose,
} from './ws-frames.ts';
import { YIELD_BYTES } from './yielding-pipe.ts';

/** How long a closing connection may wait for the app's FIN after our close frame. */
export const CLOSE_LINGER_MS = 5_000;

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface RawUpstreamRequest {
  host: string;
  port: number;
  path: string;
  /** Forwarded headers (no `sec-websocket-*`, no hop-by-hop), as the relay built them. */
  headers: [string, string][];
  protocols: string[];
  /** Deadline for the whole handshake, connect included. */
  timeoutMs: number;
  /** Largest message taken from the app. */
  maxMessage: number;
  /** The client's request: its abort lets the handshake go. */
  client: AbortSignal;
}

/** The value of header `name` in a raw answer list, or undefined. */
function headerValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2)
    if ((raw[i] as Buffer).toString('latin1').toLowerCase() === name)
      return (raw[i + 1] as Buffer).toString('latin1');
  return undefined;
}

/** Opens the upstream WebSocket: the socket once the app switched, or how the handshake ended. */
export function openRawUpstream(req: RawUpstreamRequest): Promise<UpstreamSocket | HandshakeFailure> {
  const key = randomBytes(16).toString('base64');
  const expectedAccept = createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
  const headers: string[] = [];
  for (const [name, value] of req.headers) headers.push(name, value);
  headers.push('sec-websocket-key', key, 'sec-websocket-version', '13');
  if (req.protocols.length > 0) headers.push('sec-websocket-protocol', req.protocols.join(', '));
  return new Promise((resolve) => {
    let settled = false;
    let abort: (err?: Error) => void = () => {};
    const settle = (outcome: UpstreamSocket | HandshakeFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.client.removeEventListener('abort', onClientLeft);
      resolve(outcome);
    };
    const giveUp = (failure: HandshakeFailure) => {
      settle(failure);
      abort();
    };
    const onClientLeft = () => giveUp({ clientLeft: true });
    const timer = setTimeout(() => giveUp({ failed: ErrorCode.UpstreamTimeout }), req.timeoutMs);
    const handler: HandshakeHandler = {
      onConnect: (a) => {
        abort = a;
      },
      // Any other final answer: the app refused (its status is what the client gets, as before).
      onHeaders: (status) => {
        giveUp({ refusedWith: status });
        return false;
      },
      onData: () => false,
      onComplete: () => {},
      onError: (err) => settle({ failed: upstreamErrorCode(err) }),
      onUpgrade: (_status, raw, duplex: Duplex) => {
        const socket = duplex as Socket;
        const protocol = headerValue(raw, 'sec-websocket-protocol') ?? '';
        const valid =
          headerValue(raw, 'sec-websocket-accept') === expectedAccept &&
          headerValue(raw, 'sec-websocket-extensions') === undefined &&
          (protocol === '' || req.protocols.includes(protocol));
        if (!valid || settled) {
          socket.destroy();
          return settle({ failed: ErrorCode.UpstreamFailed });
        }
        settle(new RawUpstream(socket, protocol, req.maxMessage));
      },
    };
    if (req.client.aborted) return settle({ clientLeft: true });
    req.client.addEventListener('abort', onClientLeft, { once: true });
    sendHandshake(
      {
        host: req.host,
        port: req.port,
        path: req.path,
        headers,
        connectTimeoutMs: req.timeoutMs,
        bodyTimeoutMs: req.timeoutMs,
      },
      handler,
    );
  });
}

/** An open upstream WebSocket on its TCP socket (paused until `start`). */
class RawUpstream implements UpstreamSocket {
  #events: UpstreamEvents | undefined;
  readonly #reader: FrameReader;
  /** Our close frame went out: nothing more is sent. */
  #closeSent = false;
  /** The relay was told the socket ended. */
  #ended = false;
  /** The relay stopped the reading (its client is behind). */
  #held = false;
  /** Bytes read since the last turn given to the rest of the process, and whether one is awaited. */
  #inTurn = 0;
  #waitingTurn = false;

  constructor(
    private readonly socket: Socket,
    readonly protocol: string,
    maxMessage: number,
  ) {
    this.#reader = new FrameReader(maxMessage);
  }

  start(events: UpstreamEvents): void {
    this.#events = events;
    const sink: FrameSink = {
      message: (opcode, payload) => {
        if (opcode === OPCODE_BINARY) return events.message(payload as Uint8Array<ArrayBuffer>);
        const text = decodeText(payload);
        if (text === undefined) this.#violation(INVALID_PAYLOAD, 'invalid UTF-8 from the app');
        else events.message(text);
      },
      control: (opcode, payload) => {
        if (opcode === OPCODE_PING) this.#write(OPCODE_PONG, payload);
        else if (opcode === OPCODE_CLOSE) {
          const close = readClose(payload);
          if (close === undefined) return this.#violation(PROTOCOL_ERROR, 'malformed close frame');
          this.close(close.code, close.reason);
          this.#end(close.code, close.reason);
        }
      },
    };
    this.socket.on('data', (chunk: Buffer) => {
      if (this.#ended) return;
      const refused = this.#reader.push(chunk, sink);
      if (refused !== undefined) return this.#violation(refused, 'the app broke the WebSocket protocol');
      // A burst gives the other sockets a turn every YIELD_BYTES, as on Node (`yielding-pipe.ts`).
      this.#inTurn += chunk.length;
      if (this.#inTurn < YIELD_BYTES || this.#waitingTurn) return;
      this.#waitingTurn = true;
      this.socket.pause();
      setImmediate(() => {
        this.#waitingTurn = false;
        this.#inTurn = 0;
        if (!this.#held) this.socket.resume();
      });
    });
    this.socket.on('error', () => {
      if (this.#ended) return;
      this.#ended = true;
      this.socket.destroy();
      events.failed();
    });
    // A FIN or a close without a close frame: abnormal (1006), as a WebSocket client reports it.
    this.socket.on('end', () => this.#end(1006, ''));
    this.socket.on('close', () => this.#end(1006, ''));
    this.socket.resume();
  }

  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void {
    if (this.#closeSent) return;
    if (typeof data === 'string') this.#write(OPCODE_TEXT, Buffer.from(data, 'utf8'));
    else this.#write(OPCODE_BINARY, data instanceof ArrayBuffer ? new Uint8Array(data) : data);
  }

  close(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.#write(OPCODE_CLOSE, closePayload(code, reason));
    this.#closeSent = true;
    this.socket.end();
    nodeTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  pause(): void {
    this.#held = true;
    this.socket.pause();
  }

  resume(): void {
    this.#held = false;
    if (!this.#waitingTurn) this.socket.resume();
  }

  #write(opcode: number, payload: Uint8Array): void {
    if (!this.#closeSent && !this.socket.destroyed) this.socket.write(encodeFrame(opcode, payload));
  }

  #violation(code: number, reason: string): void {
    this.close(code, reason);
    this.#end(code, reason);
  }

  #end(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#events?.closed(code, reason);
  }
}
