/**
 * Request body framing for the Node front end: a fixed Content-Length or the chunked coding (RFC 9112
 * section 7.1), decoded strictly as bytes arrive. Chunk extensions and trailers are read and dropped;
 * sizes, extensions and trailers are bounded.
 */

/** Reads one request body out of the bytes a connection receives. */
export interface BodyDecoder {
  /**
   * Consumes body bytes from `buf[offset..]`, handing body data to `onData` (views, not copies).
   * Returns the offset just past what it consumed, or -1 when the framing is invalid.
   */
  feed(buf: Buffer, offset: number, onData: (chunk: Buffer) => void): number;
  /** The whole body was read. */
  readonly done: boolean;
}

export class FixedLengthBody implements BodyDecoder {
  #remaining: number;

  constructor(length: number) {
    this.#remaining = length;
  }

  get done(): boolean {
    return this.#remaining === 0;
  }

  feed(buf: Buffer, offset: number, onData: (chunk: Buffer) => void): number {
    const take = Math.min(this.#remaining, buf.length - offset);
    if (take > 0) {
      this.#remaining -= take;
      onData(buf.subarray(offset, offset + take));
    }
    return offset + take;
  }
}

enum State {
  Size,
  SizeBlank,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

const CR = 0x0d;
const LF = 0x0a;
/** 12 hex digits: up to 256 TiB a chunk, far beyond any upload, and exact in a double. */
const MAX_SIZE_DIGITS = 12;
/** Bytes of chunk extensions on one chunk line, and of the whole trailer section. */
const MAX_EXTENSION_BYTES = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;

/** Extension and trailer bytes: HTAB, SP, VCHAR, obs-text. */
const isTextByte = (c: number) => c === 0x09 || (c >= 0x20 && c !== 0x7f);

export class ChunkedBody implements BodyDecoder {
  #state = State.Size;
  #size = 0;
  #digits = 0;
  /** Bytes left in the current chunk's data. */
  #left = 0;
  /** Extension bytes on the current line, or trailer bytes so far. */
  #extra = 0;

  get done(): boolean {
    return this.#state === State.Done;
  }

  feed(buf: Buffer, offset: number, onData: (chunk: Buffer) => void): number {
    let i = offset;
    while (i < buf.length && this.#state !== State.Done) {
      if (this.#state === State.Data) {
        const take = Math.min(this.#left, buf.length - i);
        onData(buf.subarray(i, i + take));
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = State.DataCr;
        continue;
      }
      if (!this.#step(buf[i] as number)) return -1;
      i++;
    }
    return i;
  }

  /** One byte of framing (everything but chunk data); false when it breaks the grammar. */
  #step(c: number): boolean {
    switch (this.#state) {
      case State.Size: {
        const h = hexValue(c);
        if (h !== -1) {
          if (++this.#digits > MAX_SIZE_DIGITS) return false;
          this.#size = this.#size * 16 + h;
          return true;
        }
        if (this.#digits === 0) return false;
        if (c === CR) this.#state = State.SizeLf;
        else if (c === 0x3b) this.#state = State.Extension;
        else if (c === 0x20 || c === 0x09) {
          this.#state = State.SizeBlank;
          this.#extra = 1;
        } else return false;
        return true;
      }
      case State.SizeBlank: // BWS is allowed only before an extension, and counts against its limit
        if (c === 0x3b) this.#state = State.Extension;
        else if (c !== 0x20 && c !== 0x09) return false;
        return ++this.#extra <= MAX_EXTENSION_BYTES;
      case State.Extension:
        if (c === CR) this.#state = State.SizeLf;
        else if (!isTextByte(c) || ++this.#extra > MAX_EXTENSION_BYTES) return false;
        return true;
      case State.SizeLf:
        if (c !== LF) return false;
        this.#extra = 0;
        if (this.#size === 0) this.#state = State.TrailerStart;
        else {
          this.#left = this.#size;
          this.#state = State.Data;
        }
        this.#size = 0;
        this.#digits = 0;
        return true;
      case State.DataCr:
        if (c !== CR) return false;
        this.#state = State.DataLf;
        return true;
      case State.DataLf:
        if (c !== LF) return false;
        this.#state = State.Size;
        return true;
      case State.TrailerStart:
        if (c === CR) this.#state = State.EndLf;
        else if (c === 0x20 || c === 0x09 || !isTextByte(c)) return false;
        else this.#state = State.Trailer;
        return ++this.#extra <= MAX_TRAILER_BYTES;
      case State.Trailer:
        if (c === CR) this.#state = State.TrailerLf;
        else if (!isTextByte(c)) return false;
        return ++this.#extra <= MAX_TRAILER_BYTES;
      case State.TrailerLf:
        if (c !== LF) return false;
        this.#state = State.TrailerStart;
        return true;
      case State.EndLf:
        if (c !== LF) return false;
        this.#state = State.Done;
        return true;
      default:
        return false;
    }
  }
}
