/**
 * The error a person sees for a failed exchange with an app, from the error's code: Node's own for
 * connect failures, undici's names for its timeouts (also used by `upstream-handshake.ts`). Shared by the
 * Node proxy and the Deno and Bun WebSocket upstreams.
 */
import { ErrorCode } from '../../shared/errors.ts';

/** Maps an upstream failure to the error a person sees. */
export function upstreamErrorCode(err: Error & { code?: string }): ErrorCode {
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return ErrorCode.UpstreamRefused;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'ETIMEDOUT':
      return ErrorCode.UpstreamTimeout;
    default:
      return ErrorCode.UpstreamFailed;
  }
}
