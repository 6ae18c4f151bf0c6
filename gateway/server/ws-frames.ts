/**
 * RFC 6455 frames from the client's side of a connection, for the Deno adapter's upstream WebSockets
 * (`raw-upstream.ts`): frames from the app arrive unmasked and are read here into whole messages and
 * control frames; frames to the app are written masked. No extension is ever negotiated, so a frame with
 * an RSV bit set is a protocol error, as is anything else RFC 6455 section 5 forbids a server to send.
 */
import { randomFillSync } from 'node:crypto';

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;
const OPCODE_CONTINUATION = 0x0;
const EMPTY = Buffer.alloc(0);

/** Close codes this side sends for what the app did wrong. */
export const PROTOCOL_ERROR = 1002;
export const INVALID_PAYLOAD = 1007;
export const MESSAGE_TOO_BIG = 1009;

/** What the reader hands on: whole data messages and single control frames. */
export interface FrameSink {
  message(opcode: typeof OPCODE_TEXT | typeof OPCODE_BINARY, payload: Buffer): void;
  control(opcode: typeof OPCODE_CLOSE | typeof OPCODE_PING | typeof OPCODE_PONG, payload: Buffer): void;
}

/**
 * Reads frames across reads without copying a payload more than once: reads are kept as they came until
 * a whole frame is there. `push` answers a close code when the app broke the protocol (then nothing more
 * should be pushed).
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Fragments of the data message under way, and its opcode (0: none under way). */
  #fragments: Buffer[] = [];
  #fragmentsSize = 0;
  #opcode = 0;

  constructor(private readonly maxMessage: number) {}

  push(chunk: Buffer, sink: FrameSink): number | undefined {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    for (;;) {
      if (this.#size < 2) return undefined;
      const head = this.#peek(Math.min(this.#size, 10));
      const b0 = head[0] as number;
      const b1 = head[1] as number;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0 || (b1 & 0x80) !== 0) return PROTOCOL_ERROR; // RSV without extension; masked
      let length = b1 & 0x7f;
      let headLength = 2;
      if (length === 126) {
        if (head.length < 4) return undefined;
        length = head.readUInt16BE(2);
        headLength = 4;
      } else if (length === 127) {
        if (head.length < 10) return undefined;
        if (head.readUInt32BE(2) !== 0) return MESSAGE_TOO_BIG;
        length = head.readUInt32BE(6);
        headLength = 10;
      }
      const control = opcode >= 0x8;
      if (control && (!fin || length > 125)) return PROTOCOL_ERROR;
      if (!control && this.#fragmentsSize + length > this.maxMessage) return MESSAGE_TOO_BIG;
      if (this.#size < headLength + length) return undefined;
      this.#take(headLength);
      const payload = this.#take(length);
      const refused = this.#frame(fin, opcode, payload, sink);
      if (refused !== undefined) return refused;
    }
  }

  #frame(fin: boolean, opcode: number, payload: Buffer, sink: FrameSink): number | undefined {
    if (opcode === OPCODE_CLOSE || opcode === OPCODE_PING || opcode === OPCODE_PONG) {
      sink.control(opcode, payload);
      return undefined;
    }
    if (opcode === OPCODE_CONTINUATION) {
      if (this.#opcode === 0) return PROTOCOL_ERROR;
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      if (this.#opcode !== 0) return PROTOCOL_ERROR; // a new message inside a fragmented one
      if (fin) {
        sink.message(opcode, payload);
        return undefined;
      }
      this.#opcode = opcode;
    } else return PROTOCOL_ERROR; // reserved opcodes
    this.#fragments.push(payload);
    this.#fragmentsSize += payload.length;
    if (!fin) return undefined;
    const whole = Buffer.concat(this.#fragments, this.#fragmentsSize);
    const kind = this.#opcode as typeof OPCODE_TEXT | typeof OPCODE_BINARY;
    this.#fragments = [];
    this.#fragmentsSize = 0;
    this.#opcode = 0;
    sink.message(kind, whole);
    return undefined;
  }

  /** The first `n` buffered bytes (n <= size), without consuming them. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) return first;
    const head = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = 0; filled < n; i++) filled += (this.#chunks[i] as Buffer).copy(head, filled, 0, n - filled);
    return head;
  }

  /** Removes and returns the first `n` buffered bytes (n <= size), copied only if they span reads. */
  #take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.#size -= n;
    const first = this.#chunks[0] as Buffer;
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0; // whole reads copied out, removed at once (a frame may span thousands of small reads)
    while (filled < n) {
      const chunk = this.#chunks[used] as Buffer;
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) used++;
      else this.#chunks[used] = chunk.subarray(part);
    }
    this.#chunks.splice(0, used);
    return out;
  }
}

/** Random masking keys, drawn from the CSPRNG in blocks (RFC 6455 section 10.3: unpredictable). */
const MASKS = Buffer.allocUnsafe(4096);
let maskOffset = MASKS.length;

/** One final, masked frame carrying `payload`. */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + length);
  frame[0] = 0x80 | opcode;
  if (extra === 0) frame[1] = 0x80 | length;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (maskOffset === MASKS.length) {
    randomFillSync(MASKS);
    maskOffset = 0;
  }
  const keyAt = 2 + extra;
  MASKS.copy(frame, keyAt, maskOffset, maskOffset + 4);
  maskOffset += 4;
  const at = keyAt + 4;
  const k0 = frame[keyAt] as number;
  const k1 = frame[keyAt + 1] as number;
  const k2 = frame[keyAt + 2] as number;
  const k3 = frame[keyAt + 3] as number;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    frame[at + i] = (payload[i] as number) ^ k0;
    frame[at + i + 1] = (payload[i + 1] as number) ^ k1;
    frame[at + i + 2] = (payload[i + 2] as number) ^ k2;
    frame[at + i + 3] = (payload[i + 3] as number) ^ k3;
  }
  for (; i < length; i++) frame[at + i] = (payload[i] as number) ^ (frame[keyAt + (i & 3)] as number);
  return frame;
}

/** Close codes that may be sent in a close frame (RFC 6455 section 7.4). */
export function sendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** A close frame's payload: the code and up to 123 bytes of reason; none for codes never sent. */
export function closePayload(code: number, reason: string): Buffer {
  if (!sendableCloseCode(code)) return Buffer.alloc(0);
  let text = Buffer.from(reason, 'utf8');
  // Cut at 123 bytes, then back to a whole character: a reason must stay valid UTF-8.
  if (text.length > 123) text = text.subarray(0, 123);
  while (text.length > 0 && decodeText(text) === undefined) text = text.subarray(0, -1);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}

/** A received close frame's code and reason, or undefined when its payload is malformed. */
export function readClose(payload: Buffer): { code: number; reason: string } | undefined {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) return undefined;
  const code = payload.readUInt16BE(0);
  if (!sendableCloseCode(code)) return undefined;
  const reason = decodeText(payload.subarray(2));
  return reason === undefined ? undefined : { code, reason };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or undefined when the bytes are not valid UTF-8 (RFC 6455 section 8.1). */
export function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
