/**
 * Request ids and W3C trace context (https://www.w3.org/TR/trace-context/). A request's id is a trusted
 * peer's well-formed `X-Request-Id`, else one made here; a valid `traceparent` passes through unchanged,
 * else one is made, so a platform's traces cross the gateway. Ids are random, from a buffer refilled every
 * few hundred requests (one `randomFillSync` for many ids): unique across gateways with no coordination,
 * and telling a client nothing about the traffic (a counter would).
 */
import { randomFillSync } from 'node:crypto';

/** A well-formed `X-Request-Id`: 1 to 128 characters of `A-Z a-z 0-9 . _ : @ / + = -` (no spaces, quotes or controls). */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * A `traceparent`: version, trace id, parent id, flags, in lowercase hex. Version `ff` is invalid;
 * a later version than `00` may carry more fields after a `-` (the spec's forward compatibility).
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** Whether `value` may be kept as a request's id (when a trusted peer sent it). */
export function isWellFormedRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}

/** Whether `value` is a `traceparent` to pass on as is (not all-zero ids, not version `ff`). */
export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (m === null) return false;
  const version = m[1] as string;
  if (version === 'ff' || (version === '00' && m[4] !== undefined)) return false;
  return m[2] !== ZERO_TRACE_ID && m[3] !== ZERO_PARENT_ID;
}

/** The trace id of a `traceparent` this gateway sent (valid, so the id is at a fixed place). */
export const traceIdOf = (traceparent: string): string => traceparent.slice(3, 35);

/** Random bytes taken per refill: 4 KiB, about 100 requests' worth. */
const POOL_BYTES = 4096;

/** Makes request ids (32 hex digits) and `traceparent` values (version 00, flags 00), at random. */
export class RequestIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #offset = POOL_BYTES;

  /** `bytes` random bytes as lowercase hex. */
  #hex(bytes: number): string {
    if (this.#offset + bytes > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const hex = this.#pool.toString('hex', this.#offset, this.#offset + bytes);
    this.#offset += bytes;
    return hex;
  }

  /** A new request id: 128 random bits as 32 hex digits. */
  requestId(): string {
    return this.#hex(16);
  }

  /**
   * A new `traceparent`, not sampled (`00`: the gateway records nothing): trace id `traceId` (a request
   * id this gateway made: 32 random hex digits, so one value names both) or a random one, and a random
   * parent id.
   */
  traceparent(traceId?: string): string {
    const trace = traceId === undefined || traceId === ZERO_TRACE_ID ? this.#hex(16) : traceId;
    const parent = this.#hex(8);
    // All-zero ids are invalid (a receiver would drop the trace): at most 2^-64 per request, but possible.
    if (trace === ZERO_TRACE_ID || parent === ZERO_PARENT_ID) return this.traceparent();
    return `00-${trace}-${parent}-00`;
  }
}
