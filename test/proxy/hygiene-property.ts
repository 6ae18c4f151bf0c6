/**
 * The hygiene invariants as a property (fast-check) over any client header list: the app never receives a
 * reserved identity header or `dg_*` cookie the gateway did not set, always receives the Host the client
 * sent, and the request reaches the container its Host names.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { RawResponse } from '../support/raw-http.ts';
import { type Echo, GATEWAY_IDENTITY, isReserved, received } from './hygiene-echo.ts';
import { hostOf } from './proxy-suite.ts';

export interface PropertyEnv {
  /** The gateway's public port. */
  port: number;
  /** A `dg_session` for alice on c2 (protected, project access); c1 is public. */
  session: string;
  /** Sends one request (headers as given, then `Connection: close`) and parses the answer. */
  exchange(host: string, path: string, headers: [string, string][]): Promise<RawResponse>;
}

export async function checkHygieneProperty({ port, session, exchange }: PropertyEnv): Promise<void> {
  const separators = fc.constantFrom('-', '_');
  const spelled = (name: string) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }),
        fc.array(separators, { minLength: name.length, maxLength: name.length }),
      )
      .map(([upper, seps]) =>
        [...name].map((ch, i) => (ch === '-' ? seps[i] : upper[i] ? ch.toUpperCase() : ch)).join(''),
      );
  const reservedName = fc
    .constantFrom(
      ...GATEWAY_IDENTITY,
      'x-forwarded-email',
      'x-forwarded-groups',
      'x-auth-request-user',
      'x-remote-user',
      'x-webauth-user',
      'remote-user',
      'x-demiurge-session',
    )
    .chain(spelled);
  const value = fc.constantFrom('mallory', 'u-alice', 'admin', '');
  const cookie = fc
    .array(fc.constantFrom('dg_session=forged', 'dg_gw=x', 'dg_flow_abcdefgh=y', 'app=1', ' dg_x=z'), {
      minLength: 1,
      maxLength: 4,
    })
    .map((parts): [string, string] => ['Cookie', parts.join('; ')]);
  const connection = fc
    .subarray(['close', 'Host', 'X-Forwarded-For', 'Cookie', 'X-Forwarded-User', 'X-Other'])
    .map((tokens): [string, string] => ['Connection', tokens.join(', ') || 'close']);
  const header = fc.oneof(
    fc.tuple(reservedName, value),
    cookie,
    connection,
    fc.tuple(fc.constantFrom('X-Other', 'Accept', 'X_Other'), value),
  );
  const target = fc.record({
    container: fc.constantFrom('c1', 'c2'),
    upper: fc.boolean(),
    port: fc.boolean(),
    signedIn: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(target, fc.array(header, { maxLength: 12 }), async (t, headers) => {
      let host = hostOf(t.container);
      if (t.upper) host = host.toUpperCase();
      if (t.port) host = `${host}:${port}`;
      // The session goes first: of several `dg_session` cookies the gateway reads the first.
      const sent: [string, string][] = t.signedIn ? [['Cookie', `dg_session=${session}`]] : [];
      sent.push(...headers);
      const res = await exchange(host, '/p', sent);
      // c2 is protected: without a session the gateway answers itself (401), nothing reaches the app.
      if (t.container === 'c2' && !t.signedIn) return void expect(res.status).toBe(401);
      expect(res.status).toBe(200);
      const echo = JSON.parse(res.body) as Echo;
      expect(echo.upstream).toBe(t.container === 'c1' ? 'pub' : 'priv');
      expect(echo.headers.host).toBe(host);
      const seen = received(echo);
      for (const [name, values] of seen) {
        if (!isReserved(name)) continue;
        expect(t.container, `${name} reached a public app`).toBe('c2');
        expect(GATEWAY_IDENTITY, name).toContain(name);
        expect(values).toHaveLength(1);
      }
      if (t.container === 'c2') expect(seen.get('x-forwarded-user')).toEqual(['u-alice']);
      for (const c of (echo.headers.cookie ?? '').split(';'))
        expect(c.trim().startsWith('dg_'), `cookie ${c}`).toBe(false);
    }),
    { numRuns: 120 },
  );
}
