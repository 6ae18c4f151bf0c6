/**
 * The upstream side of a WebSocket on Deno and Bun, as the relay sees it: how a handshake ended when it
 * did not open, what an open upstream socket offers, and what the client gets when the app refused.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ProxyErrorAnswer } from '../proxy/pages.ts';
import type { ResolvedRoute } from '../store/store.ts';

/**
 * How an upstream handshake ended when it did not open: a gateway-side failure, the app's refusal, or
 * the client leaving first.
 */
export type HandshakeFailure = { failed: ErrorCode } | { refusedWith: number } | { clientLeft: true };

/** What an open upstream WebSocket reports to its relay. */
export interface UpstreamEvents {
  message(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void;
  closed(code: number, reason: string): void;
  failed(): void;
}

/** An open upstream WebSocket (`raw-upstream.ts`). */
export interface UpstreamSocket {
  /** The subprotocol the app chose ('' for none). */
  readonly protocol: string;
  /** Starts reporting to `events`. */
  start(events: UpstreamEvents): void;
  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void;
  /** Closes towards the app with `code` where it may be sent; once. */
  close(code: number, reason: string): void;
  /** Stops and restarts reading from the app (back-pressure). */
  pause(): void;
  resume(): void;
}

/** Closes with `code` where the runtime lets us send it; standard WebSocket objects allow only 1000 and 3000-4999. */
export function closeWith(
  target: { close(code?: number, reason?: string): void },
  code: number,
  reason: string,
): void {
  if (code === 1005 || code === 1006 || code === 1015) {
    target.close(); // reserved: never sent
    return;
  }
  try {
    target.close(code, reason);
  } catch {
    target.close(1000, reason);
  }
}

/**
 * The answer to a handshake the app refused, on Deno and Bun: its status is kept when it is an error
 * status, with the gateway's JSON body (the app's own headers and body are not read; Node relays them).
 */
export function refusal(status: number, route: ResolvedRoute): ProxyErrorAnswer {
  return {
    status: status >= 400 && status <= 599 ? status : 502,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({
      error: {
        code: ErrorCode.UpgradeRefused,
        message: `the service "${route.service}" refused the WebSocket handshake with ${status}`,
      },
    }),
  };
}
