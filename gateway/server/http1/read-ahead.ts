/**
 * Bytes a connection has read but cannot use yet: a request head that is still incomplete, or pipelined
 * requests that arrive while one is in flight. They are kept as a list and joined once when needed, so a
 * client that sends a byte at a time costs linear work, not a copy and a parse per byte: `add` says
 * whether the new bytes could end a head (a CRLFCRLF) or break its line rules (a bare LF), possibly
 * across two reads; only then is a parse worth it.
 */
const CR = 0x0d;
const LF = 0x0a;

export class ReadAhead {
  #parts: Buffer[] = [];
  #size = 0;
  /** The last bytes added (up to 3), for a CRLFCRLF or a bare LF that spans two reads. */
  readonly #last = Buffer.alloc(3);
  #lastLength = 0;

  get size(): number {
    return this.#size;
  }

  /** Keeps `chunk`; true when it could complete a request head or break its line rules. */
  add(chunk: Buffer): boolean {
    const worthParsing = this.#mayEndHead(chunk);
    this.#parts.push(chunk);
    this.#size += chunk.length;
    this.#remember(chunk);
    return worthParsing;
  }

  /** Everything kept, as one buffer (no copy when it is one piece), and forgets it. */
  take(): Buffer | undefined {
    const parts = this.#parts;
    if (parts.length === 0) return undefined;
    const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    this.#lastLength = 0;
    return all;
  }

  #mayEndHead(chunk: Buffer): boolean {
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      if (this.#byteAt(chunk, lf - 1) !== CR) return true; // a bare LF: the parser refuses it now
      if (this.#byteAt(chunk, lf - 2) === LF && this.#byteAt(chunk, lf - 3) === CR) return true;
    }
    return false;
  }

  /** The byte at `i` of `chunk`; a negative `i` reaches back into the bytes added before it. */
  #byteAt(chunk: Buffer, i: number): number | undefined {
    if (i >= 0) return chunk[i];
    const back = this.#lastLength + i;
    return back >= 0 ? this.#last[back] : undefined;
  }

  #remember(chunk: Buffer): void {
    if (chunk.length >= 3) {
      chunk.copy(this.#last, 0, chunk.length - 3);
      this.#lastLength = 3;
      return;
    }
    for (const byte of chunk) {
      if (this.#lastLength === 3) this.#last.copyWithin(0, 1);
      else this.#lastLength++;
      this.#last[this.#lastLength - 1] = byte;
    }
  }
}
