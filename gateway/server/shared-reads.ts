/**
 * Socket reads into one buffer that the whole process reuses. By default Node gives every read its own
 * ArrayBuffer (64 KiB reserved, then shrunk to the bytes read), and the young-generation collector
 * frees each of them during its pause: under the proxy bench, that sweep was most of every scavenge
 * (numbers in `http1/README.md`). Bytes in the shared buffer are valid only while their read is being
 * handled, so whoever keeps them copies them. One buffer serves every socket: a read is handled to the
 * end before the next one starts, and nothing reads a socket from inside a read.
 *
 * - Accepted sockets (the front end): `adopt` hands each read to a callback as a view of the buffer.
 *   Node offers `onread` only for sockets it connects itself, so this sets the same two fields that
 *   `onread` sets, found on a probe socket by identity rather than by name, and calls the handle's
 *   `useUserBuffer`. Where either is missing (another Node), `adopt` says no and the socket reads
 *   through `'data'` as before.
 * - Sockets that must stay streams (undici's pooled connections, upgraded sockets): each read is copied
 *   into a buffer from Node's pool and pushed. A copy of a few hundred bytes costs less than the
 *   ArrayBuffer it replaces; a full stream stops reading until it is read from again.
 */
import { type OnReadOpts, Socket } from 'node:net';

/** Called with each read; the bytes are valid only until it returns. */
export type BorrowedRead = (chunk: Buffer) => void;

interface ReadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
}

type Fields = Record<symbol, unknown>;

/** The fields `onread` sets on a socket, or undefined if this runtime does not have them. */
function findReadFields(): ReadFields | undefined {
  const buffer = Buffer.alloc(1);
  const callback = () => true;
  // Node's constructor takes `onread` too, though its types list it only for `connect`.
  const probe = new Socket({ onread: { buffer, callback } } as ConstructorParameters<typeof Socket>[0]);
  const fields = probe as unknown as Fields;
  const symbols = Object.getOwnPropertySymbols(probe);
  const bufferField = symbols.find((s) => fields[s] === buffer);
  const callbackField = symbols.find((s) => fields[s] === callback);
  probe.destroy();
  return bufferField && callbackField ? { buffer: bufferField, callback: callbackField } : undefined;
}

/** Node's own read size. */
const READ_SIZE = 64 * 1024;

export class SharedReads {
  readonly #buffer = Buffer.allocUnsafe(READ_SIZE);
  readonly #fields: ReadFields | undefined;
  /** For `net.connect`: each read copied and pushed (Node calls the callback as a method of the socket). */
  readonly streamed: OnReadOpts;

  /** `adoptAccepted: false` keeps accepted sockets on `'data'` reads (the fallback, for tests). */
  constructor(options: { adoptAccepted?: boolean } = {}) {
    this.#fields = options.adoptAccepted === false ? undefined : findReadFields();
    const buffer = this.#buffer;
    function pushCopy(this: Socket, nread: number): boolean {
      return this.push(Buffer.from(buffer.subarray(0, nread)));
    }
    this.streamed = { buffer, callback: pushCopy as OnReadOpts['callback'] };
  }

  /**
   * Makes `socket` (accepted, not read from yet) read into the shared buffer and hand each read to
   * `onRead` instead of `'data'` (`'end'`, `pause` and `resume` work as before); false (nothing
   * changed) where this runtime cannot.
   */
  adopt(socket: Socket, onRead: BorrowedRead): boolean {
    const fields = this.#fields;
    const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buf: Buffer) => void } })._handle;
    if (fields === undefined || typeof handle?.useUserBuffer !== 'function') return false;
    const buffer = this.#buffer;
    const target = socket as unknown as Fields;
    target[fields.buffer] = buffer;
    target[fields.callback] = (nread: number) => {
      onRead(buffer.subarray(0, nread));
    };
    handle.useUserBuffer(buffer);
    return true;
  }

  /** Turns an adopted socket back into a plain stream for a new owner (an upgrade pipes it). */
  release(socket: Socket): void {
    const fields = this.#fields;
    if (fields === undefined) return;
    (socket as unknown as Fields)[fields.callback] = this.streamed.callback;
  }
}
