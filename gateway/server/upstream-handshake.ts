/**
 * A WebSocket handshake sent to the app on a connection of its own, without undici. A WebSocket needs
 * its own connection anyway, so a pool brings nothing here, and undici's pool cost most of the Node
 * gateway's CPU per handshake (a Client per connection and its wasm parser for one answer head: see
 * `scripts/bench/README.md`). The answer head is read here; a 101 hands the socket to the handler, any
 * other answer is relayed to it like an undici dispatch handler's (`onHeaders`, `onData`, `onComplete`,
 * `onError`, back-pressure through `resume`), body framing decoded (Content-Length, chunked, or up to
 * the close), and the connection is closed after it.
 *
 * Errors carry the codes the proxy already maps (`upstreamErrorCode`): Node's own for connect failures,
 * undici's names for a connect timeout, a bad answer and a body timeout.
 */
import { connect, type OnReadOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { UpstreamError } from './node-relay.ts';

/** What the handshake reports to: the undici handler methods `UpgradeRelay` has. */
export interface HandshakeHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[]): void;
  onError(err: UpstreamError): void;
  onUpgrade(status: number, raw: Buffer[], socket: Duplex): void;
}

export interface HandshakeRequest {
  host: string;
  port: number;
  path: string;
  /** Flat name/value list, already checked by the front end (no CR or LF). */
  headers: readonly string[];
  connectTimeoutMs: number;
  /** How long an answer body may stay silent (undici's `bodyTimeout`). */
  bodyTimeoutMs: number;
  /** How the socket reads (`SharedReads.streamed`), or Node's default. */
  reads?: OnReadOpts;
}

/** Idle time before TCP keep-alive probes start on an app's connection (undici's default). */
export const TCP_KEEPALIVE_MS = 60_000;

/** The largest answer head read (Node's and undici's default `maxHeaderSize`). */
export const MAX_ANSWER_HEAD = 16 * 1024;

const CRLF2 = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function failure(message: string, code: string): UpstreamError {
  return Object.assign(new Error(message), { code });
}

/** The handshake's request head as undici writes it: Host first, then the upgrade, then the rest. */
function requestHead(req: HandshakeRequest): string {
  let host: string | undefined;
  let rest = '';
  const headers = req.headers;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (host === undefined && name === 'host') host = headers[i + 1];
    else rest += `${name}: ${headers[i + 1]}\r\n`;
  }
  host ??= `${req.host}:${req.port}`;
  return `GET ${req.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: upgrade\r\nupgrade: websocket\r\n${rest}\r\n`;
}

interface AnswerHead {
  status: number;
  statusText: string;
  raw: Buffer[];
}

/** Parses one answer head (without its blank line); undefined when malformed. */
function parseHead(head: Buffer): AnswerHead | undefined {
  const lines = head.toString('latin1').split('\r\n');
  const status = STATUS_LINE.exec(lines[0] as string);
  if (status === null) return undefined;
  const raw: Buffer[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined; // no name, or obs-fold
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) return undefined;
    raw.push(Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1'));
  }
  return { status: Number(status[1]), statusText: status[2] ?? '', raw };
}

/** The answer's body framing: a length, chunked, or up to the close (-1). */
function framing(head: AnswerHead): number | 'chunked' | undefined {
  if (head.status === 204 || head.status === 304) return 0;
  let length: number | undefined;
  let lengths = 0;
  let coding: string | undefined;
  for (let i = 0; i < head.raw.length; i += 2) {
    const name = (head.raw[i] as Buffer).toString('latin1').toLowerCase();
    const value = (head.raw[i + 1] as Buffer).toString('latin1');
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      lengths++;
      length = Number(value);
    } else if (name === 'transfer-encoding') {
      coding = coding === undefined ? value : `${coding}, ${value}`;
    }
  }
  if (coding !== undefined) {
    // A Transfer-Encoding with a Content-Length, or not ending in chunked, is ambiguous: refused.
    if (lengths > 0 || !/(^|,)\s*chunked\s*$/i.test(coding)) return undefined;
    return 'chunked';
  }
  if (lengths > 1) return undefined;
  return length ?? -1;
}

/** Decodes a chunked body across reads; calls `onChunk` with data, returns true at the last chunk. */
class ChunkedDecoder {
  #left = 0;
  #state: 'size' | 'data' | 'data-end' | 'trailers' = 'size';
  #line = '';

  /** Feeds bytes; `undefined` on malformed framing, else whether the body ended. */
  feed(bytes: Buffer, onChunk: (chunk: Buffer) => void): boolean | undefined {
    let i = 0;
    while (i < bytes.length) {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, bytes.length - i);
        onChunk(bytes.subarray(i, i + n));
        i += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = 'data-end';
        continue;
      }
      const lf = bytes.indexOf(0x0a, i);
      const end = lf === -1 ? bytes.length : lf + 1;
      this.#line += bytes.toString('latin1', i, end);
      i = end;
      if (this.#line.length > 1024) return undefined;
      if (lf === -1) break;
      const line = this.#line;
      this.#line = '';
      if (!line.endsWith('\r\n')) return undefined;
      const text = line.slice(0, -2);
      if (this.#state === 'data-end') {
        if (text !== '') return undefined;
        this.#state = 'size';
      } else if (this.#state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})[\t ]*(;.*)?$/.exec(text);
        if (size === null) return undefined;
        this.#left = Number.parseInt(size[1] as string, 16);
        this.#state = this.#left === 0 ? 'trailers' : 'data';
      } else if (text === '') {
        return true; // trailers end: the body is complete
      }
    }
    return false;
  }
}

/**
 * Connects to `req.host:req.port`, sends the handshake and reports to `handler`. `req.reads` must hand
 * 'data' buffers the handler may keep (`SharedReads.streamed` copies each read). The handler's `abort`
 * (from `onConnect`) ends the exchange at any time, with `onError(err)` as undici does.
 */
export function sendHandshake(req: HandshakeRequest, handler: HandshakeHandler): void {
  const socket: Socket = connect({ host: req.host, port: req.port, onread: req.reads });
  socket.setNoDelay(true);
  // As undici's connector: a WebSocket to a container that vanished without a FIN is found by TCP
  // keep-alive probes (the relay itself has no idle cut-off).
  socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
  let settled = false;
  /** Bytes of the answer head so far. */
  let head: Buffer | undefined;
  let body: ((bytes: Buffer) => void) | undefined;
  /** The answer has neither length nor chunks: its body ends with the connection. */
  let upToClose = false;

  const fail = (err: UpstreamError) => {
    if (settled) return;
    settled = true;
    clearTimeout(connectTimer);
    socket.destroy();
    handler.onError(err);
  };
  const complete = () => {
    if (settled) return;
    settled = true;
    socket.destroy();
    handler.onComplete([]);
  };
  const connectTimer = setTimeout(
    () => fail(failure('connect timeout', 'UND_ERR_CONNECT_TIMEOUT')),
    req.connectTimeoutMs,
  );
  handler.onConnect((err) => fail(err ?? failure('aborted', 'UND_ERR_ABORTED')));

  const startBody = (answer: AnswerHead, rest: Buffer) => {
    const frame = framing(answer);
    if (frame === undefined)
      return fail(failure('ambiguous answer framing', 'HPE_INVALID_TRANSFER_ENCODING'));
    // As undici's: silence counts only while the client keeps up (a paused read is not the app's fault).
    const resume = () => {
      socket.resume();
      socket.setTimeout(req.bodyTimeoutMs);
    };
    handler.onHeaders(answer.status, answer.raw, resume, answer.statusText);
    if (settled) return;
    socket.on('timeout', () => {
      if (!socket.isPaused()) fail(failure('body timeout', 'UND_ERR_BODY_TIMEOUT'));
    });
    socket.setTimeout(req.bodyTimeoutMs);
    const deliver = (chunk: Buffer) => {
      if (chunk.length > 0 && !handler.onData(chunk)) socket.pause();
    };
    if (frame === 'chunked') {
      const decoder = new ChunkedDecoder();
      body = (bytes) => {
        const ended = decoder.feed(bytes, deliver);
        if (ended === undefined) fail(failure('bad chunked framing', 'HPE_INVALID_CHUNK_SIZE'));
        else if (ended) complete();
      };
    } else if (frame >= 0) {
      let left = frame;
      body = (bytes) => {
        const n = Math.min(left, bytes.length);
        left -= n;
        deliver(bytes.subarray(0, n));
        if (left === 0) complete();
      };
      if (left === 0) return complete();
    } else {
      upToClose = true;
      body = deliver;
    }
    if (rest.length > 0) body(rest);
  };

  const onAnswerBytes = (bytes: Buffer) => {
    if (settled) return;
    if (body !== undefined) return body(bytes);
    let seen: Buffer = head === undefined ? bytes : Buffer.concat([head, bytes]);
    for (;;) {
      const end = seen.indexOf(CRLF2);
      if (end === -1) {
        head = seen;
        if (seen.length > MAX_ANSWER_HEAD) fail(failure('answer head too large', 'UND_ERR_HEADERS_OVERFLOW'));
        return;
      }
      const answer = parseHead(seen.subarray(0, end));
      if (answer === undefined) return fail(failure('malformed answer head', 'HPE_INVALID_HEADER_TOKEN'));
      const rest = seen.subarray(end + 4);
      if (answer.status === 101) {
        settled = true;
        socket.off('data', onAnswerBytes).off('end', onEnd).off('error', fail).off('close', onClose);
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        handler.onUpgrade(101, answer.raw, socket);
        return;
      }
      if (answer.status >= 200) return startBody(answer, rest);
      seen = rest; // 1xx interim answers (100, 102, 103) are skipped
    }
  };
  const onEnd = () => {
    if (upToClose) complete();
    else fail(failure('the app closed the connection', 'UND_ERR_SOCKET'));
  };
  const onClose = () => fail(failure('the app closed the connection', 'UND_ERR_SOCKET'));

  socket.once('connect', () => {
    clearTimeout(connectTimer);
    socket.write(requestHead(req));
  });
  socket.on('data', onAnswerBytes);
  socket.on('end', onEnd);
  socket.on('error', fail);
  socket.on('close', onClose);
}
