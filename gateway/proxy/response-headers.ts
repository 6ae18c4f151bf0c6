/**
 * Header hygiene for answers relayed to clients: hop-by-hop headers and those named in `Connection` are
 * dropped, a container may not set (or toss) the gateway's own cookies, and the answer carries the
 * request's `X-Request-Id`.
 */
import { GATEWAY_COOKIE_PREFIX } from '../auth/cookies.ts';
import { nameBytes, nameIs } from './header-bytes.ts';
import { connectionTokens, dropNamed } from './headers.ts';
import { HOP_BY_HOP } from './reserved-headers.ts';

/**
 * An app's `X-Request-Id` is not relayed: the answer carries the gateway's (the one the app was sent, so
 * an app that echoes it, as Rails does, would otherwise send it twice).
 */
const REQUEST_ID = 'x-request-id';

/** HOP_BY_HOP and REQUEST_ID as bytes, grouped by length: a name is compared only with those of its length. */
const HOP_BY_HOP_BY_LENGTH: Buffer[][] = [];
for (const name of [...HOP_BY_HOP, REQUEST_ID]) {
  const group = HOP_BY_HOP_BY_LENGTH[name.length] ?? [];
  group.push(nameBytes(name));
  HOP_BY_HOP_BY_LENGTH[name.length] = group;
}
const CONNECTION = nameBytes('connection');
const SET_COOKIE = nameBytes('set-cookie');
const PREFIX_BYTES = Buffer.from(GATEWAY_COOKIE_PREFIX, 'latin1');

/** A Set-Cookie value for one of the gateway's own cookies (`dg_...`), which a container may not set. */
function isGatewayCookie(value: Buffer): boolean {
  let i = 0;
  while (value[i] === 0x20 || value[i] === 0x09) i++;
  return value.subarray(i, i + PREFIX_BYTES.length).equals(PREFIX_BYTES);
}

/**
 * `filterResponseHeaders` for the Node relay: the kept raw buffers themselves, no strings made. Falls
 * back to the string version in the rare case of a Connection header that names further headers.
 */
export function filterRawResponseHeaders(raw: Buffer[], requestId: string): (Buffer | string)[] {
  const out: (Buffer | string)[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    const value = raw[i + 1] as Buffer;
    const candidates = HOP_BY_HOP_BY_LENGTH[name.length];
    if (candidates !== undefined) {
      if (nameIs(name, CONNECTION)) {
        if (connectionTokens(value.toString('latin1')) !== undefined)
          return filterResponseHeaders(raw, requestId);
        continue;
      }
      let hop = false;
      for (const candidate of candidates) if (nameIs(name, candidate)) hop = true;
      if (hop) continue;
    }
    if (nameIs(name, SET_COOKIE) && isGatewayCookie(value)) continue;
    out.push(name, value);
  }
  out.push(REQUEST_ID, requestId);
  return out;
}

/**
 * An upstream response's raw headers minus hop-by-hop ones, as strings for `writeHead`, with the
 * request's id in place of any the app sent.
 */
export function filterResponseHeaders(
  raw: Buffer[] | string[],
  requestId: string,
  keepUpgrade = false,
): string[] {
  let out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const item = raw[i] as Buffer | string;
    const name = typeof item === 'string' ? item : item.toString('latin1');
    const valueItem = raw[i + 1] as Buffer | string;
    const value = typeof valueItem === 'string' ? valueItem : valueItem.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
    if (HOP_BY_HOP.has(lower) && !(keepUpgrade && (lower === 'upgrade' || lower === 'connection'))) continue;
    if (lower === REQUEST_ID) continue;
    // A container may not set (or toss) the gateway's own cookies.
    if (lower === 'set-cookie' && value.trimStart().startsWith(GATEWAY_COOKIE_PREFIX)) continue;
    out.push(name, value);
  }
  out = dropNamed(out, connectionTokens(connection));
  out.push(REQUEST_ID, requestId);
  return out;
}
