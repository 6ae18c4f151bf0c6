/**
 * The upstream side of a WebSocket handshake on Deno and Bun: waiting for the runtime's WebSocket client
 * to open, and what to answer when it does not (the runtimes report a refusal only by its status).
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ProxyErrorAnswer } from '../proxy/pages.ts';
import type { ResolvedRoute } from '../store/store.ts';

/**
 * How an upstream handshake ended when it did not open: a gateway-side failure, the app's refusal, or
 * the client leaving first.
 */
export type HandshakeFailure = { failed: ErrorCode } | { refusedWith: number } | { clientLeft: true };

/**
 * The app's status when a runtime's WebSocket client reports a refused handshake. Neither runtime
 * exposes the answer itself, only its status in the error's text: Deno 2.9 "Invalid status code: 404",
 * Bun 1.4 "Expected 101 status code: 404".
 */
const REFUSAL_STATUS = /status code:? (\d{3})\b/i;

/**
 * Waits for the upstream socket to open; how it failed when it does not open in time, or the client
 * (`client`: the request's signal) left first, in which case the upstream is let go at once.
 */
export function opened(
  upstream: WebSocket,
  timeoutMs: number,
  client: AbortSignal,
): Promise<HandshakeFailure | undefined> {
  return new Promise((resolve) => {
    const giveUp = (failure: HandshakeFailure) => {
      clearTimeout(timer);
      client.removeEventListener('abort', onClientLeft);
      upstream.onopen = upstream.onerror = null;
      upstream.close();
      resolve(failure);
    };
    const onClientLeft = () => giveUp({ clientLeft: true });
    const timer = setTimeout(() => giveUp({ failed: ErrorCode.UpstreamTimeout }), timeoutMs);
    if (client.aborted) return onClientLeft();
    client.addEventListener('abort', onClientLeft, { once: true });
    upstream.onopen = () => {
      clearTimeout(timer);
      client.removeEventListener('abort', onClientLeft);
      resolve(undefined);
    };
    upstream.onerror = (event) => {
      clearTimeout(timer);
      client.removeEventListener('abort', onClientLeft);
      const status = Number(REFUSAL_STATUS.exec(String((event as ErrorEvent).message))?.[1]);
      // Anything else the WebSocket API does not tell apart: reported as a refused connection.
      resolve(status >= 200 ? { refusedWith: status } : { failed: ErrorCode.UpstreamRefused });
    };
  });
}

/**
 * The answer to a handshake the app refused. The app's own headers and body cannot be relayed here (see
 * `opened`): its status is kept when it is an error status, with the gateway's JSON body.
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
