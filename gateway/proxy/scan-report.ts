/**
 * Security log lines for what a request's header scan found: reserved names taken out, a non-WebSocket
 * Upgrade, an ambiguous request refused.
 */
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { ScannedRequest } from './headers.ts';

/** Header names logged per request at most (the count says how many there were). */
const NAMES_LOGGED = 16;

/**
 * Reports a scan that dropped something worth knowing. Names only (tokens by the parser's rules), never
 * values; `plain`: the request goes on as plain HTTP, so an Upgrade header in it was not relayed.
 */
export function reportScan(security: SecurityLog, scanned: ScannedRequest, plain: boolean): void {
  const host = scanned.host?.slice(0, 255);
  const requestId = scanned.requestId;
  if (scanned.dropped !== undefined)
    security.event(SecurityReason.HeadersDropped, {
      requestId,
      host,
      count: scanned.dropped.length,
      headers: scanned.dropped.slice(0, NAMES_LOGGED).map((name) => name.slice(0, 64)),
    });
  if (plain && scanned.upgrade) security.event(SecurityReason.UpgradeNotRelayed, { requestId, host });
}

/** An ambiguous request (two lengths, a length with chunks, an unknown coding) refused: `edge_refused`. */
export function reportAmbiguous(security: SecurityLog, scanned: ScannedRequest): void {
  security.event(SecurityReason.EdgeRefused, {
    status: 400,
    refusal: 'ambiguous request framing',
    peer: scanned.peerAddress,
    requestId: scanned.requestId,
  });
}
