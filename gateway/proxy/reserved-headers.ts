/**
 * Which request headers a client may not send to an app, by name. Apps behind auth proxies trust
 * identity headers, and WSGI, CGI and PHP read `_` and `-` alike (`X_Forwarded_User` arrives as
 * `HTTP_X_FORWARDED_USER`), so names are compared lowercased with `_` read as `-`. A name with `_` is
 * dropped outright unless UNDERSCORE_HEADERS keeps it (nginx's `underscores_in_headers off`).
 */

/** What the scan does with a client's header, by its canonical name. */
export enum HeaderClass {
  /** Passed on (the usual case). */
  Forward,
  /** Hop-by-hop (RFC 9110 7.6.1) or answered by the gateway itself (`Expect`): dropped, not suspicious. */
  Hop,
  /** Set only by the gateway toward the app: identity headers and the assertion. Dropped and logged. */
  Identity,
  /** Forwarding facts: kept from a trusted Stage 1 peer, dropped from anyone else. */
  Forwarding,
}

/** Hop-by-hop headers and legacy ones that must never cross the proxy. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Identity headers of the gateway and of the common auth proxies (oauth2-proxy, Authelia, Grafana, IAPs). */
const IDENTITY = [
  'x-forwarded-user',
  'x-forwarded-preferred-username',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-access-token',
  'remote-user',
  'remote-email',
  'remote-groups',
  'remote-name',
  'x-goog-iap-jwt-assertion',
  'x-goog-authenticated-user-email',
  'x-goog-authenticated-user-id',
  'teleport-jwt-assertion',
];
/** Whole families of identity headers, by prefix. */
const IDENTITY_PREFIXES = [
  'x-demiurge-',
  'x-auth-request-',
  'x-remote-',
  'x-webauth-',
  'x-pomerium-',
  'x-amzn-oidc-',
  'x-ms-client-principal',
  'cf-access-',
];

/**
 * Forwarding facts an app may trust for the client's address, scheme, host or path. The gateway sets
 * X-Forwarded-For/-Proto/-Host and X-Real-IP itself; the others pass only from a trusted peer.
 */
const FORWARDING = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'forwarded',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'client-ip',
  'x-client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
];

const BY_NAME = new Map<string, HeaderClass>();
for (const name of HOP_BY_HOP) BY_NAME.set(name, HeaderClass.Hop);
BY_NAME.set('expect', HeaderClass.Hop);
for (const name of IDENTITY) BY_NAME.set(name, HeaderClass.Identity);
for (const name of FORWARDING) BY_NAME.set(name, HeaderClass.Forwarding);

/** The name as WSGI, CGI and PHP see it: lowercase, `_` read as `-`. */
export const canonicalName = (lower: string): string =>
  lower.includes('_') ? lower.replaceAll('_', '-') : lower;

/** Classifies a canonical (lowercase, `-`-separated) header name. */
export function classifyHeader(name: string): HeaderClass {
  const known = BY_NAME.get(name);
  if (known !== undefined) return known;
  // Prefix families: only names that start like one of them are compared (most names do not).
  const first = name.charCodeAt(0);
  if (first === 0x78 /* x */) {
    if (name.startsWith('x-forwarded-')) return HeaderClass.Forwarding;
    for (const prefix of IDENTITY_PREFIXES) if (name.startsWith(prefix)) return HeaderClass.Identity;
  } else if (first === 0x63 /* c */ && name.startsWith('cf-access-')) return HeaderClass.Identity;
  return HeaderClass.Forward;
}
