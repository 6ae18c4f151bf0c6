/**
 * How a parsed request is framed and what it asks of the connection (RFC 9112 sections 6-9): its body
 * (none, Content-Length or chunked), keep-alive, an upgrade, `Expect: 100-continue`. Anything a proxy
 * could read differently from the server behind it is refused: several Content-Lengths, a
 * Transfer-Encoding other than a single `chunked`, both at once, a chunked HTTP/1.0 request, a missing or
 * repeated Host.
 */
import { HeadError, type RequestHead } from './request-head.ts';

export interface RequestFraming {
  /** The Host header ('' when an HTTP/1.0 request has none). */
  host: string;
  /** -1: chunked; 0: no body; otherwise the Content-Length. */
  bodyLength: number;
  keepAlive: boolean;
  /**
   * `websocket` for a WebSocket handshake (Connection names `upgrade`, Upgrade lists `websocket`). Any
   * other upgrade (h2c, ...) is read as a plain request: the gateway relays WebSockets only, so nothing
   * after an app's 101 can reach it past the proxy's checks.
   */
  upgrade: 'websocket' | undefined;
  expectContinue: boolean;
}

export const CHUNKED = -1;
const DIGITS = /^\d{1,15}$/;

const hasToken = (list: string, token: string): boolean => {
  for (const t of list.split(',')) if (t.trim().toLowerCase() === token) return true;
  return false;
};

export function requestFraming(head: RequestHead): RequestFraming | HeadError {
  const raw = head.rawHeaders;
  let contentLength: string | undefined;
  let lengths = 0;
  let transferEncoding: string | undefined;
  let encodings = 0;
  let hosts = 0;
  let host = '';
  let connection = '';
  let upgrade: string | undefined;
  let expectContinue = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Length first: most names are none of these, and the comparison is then skipped.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          hosts++;
          host = raw[i + 1] as string;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect')
          expectContinue = (raw[i + 1] as string).toLowerCase() === '100-continue';
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') upgrade = raw[i + 1];
        break;
      case 10:
        if (name.toLowerCase() === 'connection') connection += `${raw[i + 1]},`;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          lengths++;
          contentLength = raw[i + 1];
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          encodings++;
          transferEncoding = raw[i + 1];
        }
        break;
    }
  }
  if (hosts > 1 || (hosts === 0 && head.minor === 1))
    return new HeadError(400, 'exactly one Host is required');
  let bodyLength = 0;
  if (encodings > 0) {
    if (encodings > 1 || lengths > 0 || head.minor === 0 || transferEncoding?.toLowerCase() !== 'chunked')
      return new HeadError(400, 'ambiguous message framing');
    bodyLength = CHUNKED;
  } else if (lengths > 0) {
    if (lengths > 1 || !DIGITS.test(contentLength as string))
      return new HeadError(400, 'invalid Content-Length');
    bodyLength = Number(contentLength);
  }
  const keepAlive =
    connection === ''
      ? head.minor === 1
      : !hasToken(connection, 'close') && (head.minor === 1 || hasToken(connection, 'keep-alive'));
  return {
    host,
    bodyLength,
    keepAlive,
    upgrade:
      upgrade !== undefined &&
      connection !== '' &&
      hasToken(connection, 'upgrade') &&
      hasToken(upgrade, 'websocket')
        ? 'websocket'
        : undefined,
    expectContinue: expectContinue && head.minor === 1,
  };
}
