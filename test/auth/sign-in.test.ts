/**
 * Browser sign-in against the real gateway process: redirect flow with state and one-time codes, sessions
 * in host-only cookies, policy per access level, identity toward the app, and what attackers try.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';
const host = (c: string, org = ORG) => `uc-${c}.org-${org}.localhost`;

describe('protected services: sign-in', () => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  let gatewayOrigin: string;
  const url = (hostname: string, path = '/') => `http://${hostname}:${gw.port}${path}`;

  async function register(
    container: string,
    opts: { access?: string; org?: string; project?: string; owner?: string } = {},
  ) {
    const token = await gw.token(container, opts.project ?? PROJECT, opts.org ?? ORG, opts.owner);
    const post = (event: string) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
    const access = opts.access ? `,"access":"${opts.access}"` : '';
    expect(
      (await post(`{"type":"user-container:map-http-service","name":"web","port":${up.port}${access}}`))
        .status,
    ).toBe(200);
    expect((await post('{"type":"user-container:watchdog","system":{}}')).status).toBe(200);
    return post;
  }

  /** Posts the development login form as a browser on the gateway's page would. */
  const devLogin = (
    b: Browserish,
    next = '',
    user = { id: 'u1', name: 'alice', org: ORG, project: PROJECT },
  ) =>
    b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: new URLSearchParams({
        user_id: user.id,
        username: user.name,
        org: user.org,
        project: user.project,
        role: 'member',
        next,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
    });

  /** Walks the whole flow as a user of `org`/`project`; returns the final step. */
  async function signIn(
    b: Browserish,
    target: string,
    user = { id: 'u1', name: 'alice', org: ORG, project: PROJECT },
  ) {
    const [, toAuthorize, toLogin] = await b.follow(await b.go(target), 2);
    expect(toAuthorize?.location ?? toLogin?.location).toBeDefined();
    const next = new URL(toLogin?.location ?? toAuthorize?.location ?? '').searchParams.get('next') ?? '';
    const login = await devLogin(b, next, user);
    expect(login.status).toBe(303);
    const steps = await b.follow(login);
    return steps.at(-1) as Awaited<ReturnType<Browserish['go']>>;
  }

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway('node', { DEFAULT_ACCESS: 'project' });
    gatewayOrigin = `http://localhost:${gw.port}`;
    await register('c1');
    await register('pub', { access: 'public' });
    await register('other', { org: 'org-b', project: 'proj-b' });
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('sends an unauthenticated navigation through sign-in and back to the original URL', async () => {
    const b = new Browserish(gw.port);
    const first = await b.go(url(host('c1'), '/deep/page?x=1'));
    expect(first.status).toBe(302);
    expect(first.location).toMatch(new RegExp(`^${gatewayOrigin}/auth/authorize\\?`));
    const final = await signIn(b, url(host('c1'), '/deep/page?x=1'));
    expect(final.status).toBe(200);
    expect(JSON.parse(final.body)).toMatchObject({ url: '/deep/page?x=1' });
    // The session cookie is host-only (no Domain), HttpOnly, SameSite=Lax.
    expect(b.cookies(host('c1')).has('dg_session')).toBe(true);
    expect(b.cookies('localhost').has('dg_session')).toBe(false);
  });

  it('gives the app verified identity, never the gateway cookies, and strips client-sent identity', async () => {
    const b = new Browserish(gw.port);
    await signIn(b, url(host('c1')));
    b.cookies(host('c1')).set('app_cookie', 'kept');
    const res = await b.go(url(host('c1'), '/who'), {
      headers: { 'x-forwarded-user': 'mallory', 'x-demiurge-assertion': 'forged' },
    });
    const seen = JSON.parse(res.body).headers as Record<string, string>;
    expect(seen['x-forwarded-user']).toBe('u1');
    expect(seen['x-forwarded-preferred-username']).toBe('alice');
    expect(seen.cookie).toBe('app_cookie=kept');
    expect(JSON.stringify(seen)).not.toMatch(/dg_session|dg_gw|dg_flow/);
    const jwks = createRemoteJWKSet(new URL(`${gw.base}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(seen['x-demiurge-assertion'] as string, jwks, {
      audience: host('c1'),
    });
    expect(payload).toMatchObject({ sub: 'u1', preferred_username: 'alice' });
  });

  it("drops a container's attempts to set the gateway's cookies", async () => {
    const res = await new Browserish(gw.port).go(url(host('pub'), '/set-cookies'));
    expect(res.headers['set-cookie']).toEqual('app=1; Path=/');
  });

  it('answers fetch without a session with 401 JSON, never a redirect', async () => {
    const b = new Browserish(gw.port);
    const res = await b.go(url(host('c1'), '/api'), { navigate: false });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'GW_ERR_UNAUTHORIZED' } });
  });

  it('serves a public service with no sign-in', async () => {
    const res = await new Browserish(gw.port).go(url(host('pub')));
    expect(res.status).toBe(200);
  });

  it('shows a user of another project the same 404 as an unknown host', async () => {
    const b = new Browserish(gw.port);
    const final = await signIn(b, url(host('other', 'org-b')));
    expect(final.status).toBe(404);
    expect(final.body).toContain('No service is registered');
  });

  it('refuses hostile redirect targets at the authorize endpoint', async () => {
    const b = new Browserish(gw.port);
    await signIn(b, url(host('c1')));
    const q = (h: string) =>
      `${gatewayOrigin}/auth/authorize?${new URLSearchParams({ host: h, flow: 'flowflowflow', state: 'statestatestatestate' })}`;
    for (const target of [
      'evil.com',
      '//evil.com',
      `${host('c1')}\\@evil.com`,
      `${host('c1')}.evil.com`,
      'uc-c1.org-org-a.evil.com',
      `${host('c1')}%2F%2Fevil.com`,
      `${host('c1')}:1@evil.com`,
      `javascript:alert(1)`,
    ]) {
      const res = await b.go(q(target));
      expect(res.status, target).toBe(400);
      expect(res.location, target).toBeUndefined();
    }
    // Another organisation's container: no code, the 404 page.
    const other = await b.go(q(host('other', 'org-b')));
    expect(other.status).toBe(404);
    expect(other.location).toBeUndefined();
  });

  it('refuses a wrong or missing state, and a replayed code', async () => {
    const b = new Browserish(gw.port);
    const start = await b.go(url(host('c1')));
    const { flow, state } = Object.fromEntries(new URL(start.location as string).searchParams);
    // Log this browser in, then take the callback URL by hand.
    const login = await devLogin(b);
    expect(login.status).toBe(303);
    const authorize = await b.go(start.location as string);
    const callback = new URL(authorize.location as string);
    expect(callback.pathname).toBe('/_dg/callback');
    const wrong = new URL(callback);
    wrong.searchParams.set('state', 'x'.repeat(32));
    expect((await b.go(wrong.toString())).status).toBe(400);
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect((await b.go(missing.toString())).status).toBe(400);
    const ok = await b.go(callback.toString());
    expect(ok.status).toBe(302);
    expect(ok.location).toBe(url(host('c1'), '/'));
    // The same code again (even with a fresh flow cookie for the same state) is refused.
    b.cookies(host('c1')).set(`dg_flow_${flow}`, `${state}.Lw`);
    b.cookies(host('c1')).delete('dg_session');
    expect((await b.go(callback.toString())).status).toBe(400);
  });

  it('lets two tabs sign in at once', async () => {
    const b = new Browserish(gw.port);
    const [a, c] = await Promise.all([b.go(url(host('c1'), '/tab-a')), b.go(url(host('c1'), '/tab-b'))]);
    await devLogin(b);
    const [ra, rc] = await Promise.all([
      b.follow(await b.go(a.location as string)),
      b.follow(await b.go(c.location as string)),
    ]);
    expect(JSON.parse(ra.at(-1)?.body ?? '{}')).toMatchObject({ url: '/tab-a' });
    expect(JSON.parse(rc.at(-1)?.body ?? '{}')).toMatchObject({ url: '/tab-b' });
  });

  it('refuses a login form posted from another origin (CSRF)', async () => {
    const b = new Browserish(gw.port);
    const res = await b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: 'user_id=u1&username=a&org=org-a',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(b.cookies('localhost').has('dg_gw')).toBe(false);
  });

  it('closes the WebSocket and asks for sign-in again when access is lowered', async () => {
    const post = await register('ws1');
    const b = new Browserish(gw.port);
    await signIn(b, url(host('ws1')));
    const cookie = `dg_session=${b.cookies(host('ws1')).get('dg_session')}`;
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/`, { headers: { host: host('ws1'), cookie } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise((r) => ws.once('close', r));
    expect(
      (
        await post(
          `{"type":"user-container:map-http-service","name":"web","port":${up.port},"access":"owner"}`,
        )
      ).status,
    ).toBe(200);
    await closed;
    // The owner is unknown to the platform here: nobody may see it now (fail closed).
    expect((await b.go(url(host('ws1')))).status).toBe(404);
  });

  it('refuses a user token that does not verify, and logs it without the token', async () => {
    const forged = 'eyJhbGciOiJSUzI1NiJ9.eyJ1c2VyIjp7ImlkIjoibWFsbG9yeSJ9fQ.c2lnbmF0dXJl';
    const res = await fetch(`${gatewayOrigin}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: forged }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
      redirect: 'manual',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    await expect.poll(() => gw.output()).toMatch(/"reason":"user_token_refused"/);
    expect(gw.output()).not.toContain(forged);
  });

  it('refuses a WebSocket without a session', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/`, { headers: { host: host('c1') } });
    const status = await new Promise((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.once('open', () => resolve('open'));
    });
    expect(status).toBe(401);
  });
});
