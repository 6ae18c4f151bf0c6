/** What the test app echoed of a request, read the way WSGI, CGI and PHP read header names. */

/** Canonical names (lowercase, `_` as `-`) an app may receive only from the gateway. */
export const GATEWAY_IDENTITY = [
  'x-forwarded-user',
  'x-forwarded-preferred-username',
  'x-demiurge-assertion',
];
export const isReserved = (canonical: string) =>
  GATEWAY_IDENTITY.includes(canonical) ||
  /^(x-forwarded-(email|groups|access-token)|remote-(user|email|groups|name)|x-(auth-request|remote|webauth|demiurge)-)/.test(
    canonical,
  );
export const canonical = (name: string) => name.toLowerCase().replaceAll('_', '-');

export interface Echo {
  upstream: string;
  url: string;
  headers: Record<string, string>;
  rawHeaders: string[];
}

/** The echoed request's headers as canonical name -> values. */
export function received(echo: Echo): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    const name = canonical(echo.rawHeaders[i] as string);
    out.set(name, [...(out.get(name) ?? []), echo.rawHeaders[i + 1] as string]);
  }
  return out;
}
