/**
 * Why an event post failed, and whether trying again soon can help. Bun keeps connections to the gateway
 * alive between posts and, unlike for a GET, does not retry a POST whose kept-alive connection turns out
 * to be dead: after a gateway restart over a tunnel that was down when the old process closed its
 * sockets, the first post meets a reset. That one is worth retrying at once on a fresh connection.
 */

/**
 * `reset`: the connection broke before an answer (often a kept-alive one to a process that is gone);
 * `refused`: nothing listens (the gateway is restarting); `timeout`: no answer within the deadline;
 * `network`: any other failure to reach it; `unavailable`: 502, 503 or 504 (restarting, or its store
 * is down); `refusal`: any other non-2xx answer, which a retry soon would only repeat.
 */
export type EventFailureKind = 'reset' | 'refused' | 'timeout' | 'network' | 'unavailable' | 'refusal';

/** A failed event post, with its kind; `status` when the gateway answered. */
export class EventPostError extends Error {
  override readonly name = 'EventPostError';
  constructor(
    readonly kind: EventFailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  /** Is trying again before the next periodic refresh worth it? */
  get retryable(): boolean {
    return this.kind !== 'refusal';
  }
}

// Bun reports `code` on the error itself; Node's fetch (undici) on its `cause`.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const REFUSED_CODES = new Set(['ECONNREFUSED']);

function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The failure of a fetch that threw (no answer at all). */
export function fetchFailure(error: unknown): EventPostError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'TimeoutError')
    return new EventPostError('timeout', 'the gateway did not answer in time');
  const code = codeOf(error) ?? '';
  const kind = RESET_CODES.has(code) ? 'reset' : REFUSED_CODES.has(code) ? 'refused' : 'network';
  return new EventPostError(kind, code && !message.includes(code) ? `${message} (${code})` : message);
}

/** The failure of a non-2xx answer. */
export function answerFailure(status: number): EventPostError {
  const kind = status === 502 || status === 503 || status === 504 ? 'unavailable' : 'refusal';
  return new EventPostError(kind, `event answered ${status}`, status);
}
