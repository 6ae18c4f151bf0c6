/**
 * "Nothing here" for a signed-in user, against the real gateway: one page for "no such service" and "not
 * allowed" on either host, with a sign-out offer that depends on the visitor alone; the forms behind it
 * (gateway-host logout with a checked `next`, service-host `/_dg/sign-out` with the session's check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish, type Step } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';
const host = (c: string, org = ORG) => `uc-${c}.org-${org}.localhost`;
const ALICE = { id: 'u-alice', name: 'alice', project: PROJECT };
/** The offer's markup, whatever its fields: what a signed-out visitor's page lacks. */
const OFFER = /<p>Signed in as .*?<\/form>/;

describe('"Nothing here" for a signed-in user', () => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  let gatewayOrigin: string;
  const url = (hostname: string, path = '/') => `http://${hostname}:${gw.port}${path}`;
  const authorize = (hostname: string) =>
    `/auth/authorize?${new URLSearchParams({ host: hostname, flow: 'flowflowflow', state: 'statestatestatestate' })}`;

  async function register(container: string, access: string, owner?: string) {
    const token = await gw.token(container, PROJECT, ORG, owner);
    const post = (event: string) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
    const map = `{"type":"user-container:map-http-service","name":"web","port":${up.port},"access":"${access}"}`;
    expect((await post(map)).status).toBe(200);
    expect((await post('{"type":"user-container:watchdog","system":{}}')).status).toBe(200);
  }

  const devLogin = (b: Browserish, user = ALICE, next = '') =>
    b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: new URLSearchParams({
        user_id: user.id,
        username: user.name,
        org: ORG,
        project: user.project,
        next,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
    });

  /** Signs `b` in to `hostname` through the whole flow (the development login when needed); the last step. */
  async function signIn(b: Browserish, hostname: string): Promise<Step> {
    const start = await b.go(url(hostname));
    expect(start.status).toBe(302);
    const steps = await b.follow(await b.go(start.location as string));
    if (b.cookies('localhost').has('dg_gw')) return steps.at(-1) as Step;
    const toLogin = new URL(steps.at(-2)?.location as string);
    expect(toLogin.pathname).toBe('/auth/login');
    await devLogin(b, ALICE, toLogin.searchParams.get('next') ?? '');
    return (await b.follow(await b.go(start.location as string))).at(-1) as Step;
  }

  /** The page with the hostname and the sign-out check made neutral, to compare two pages. */
  const neutral = (body: string, hostname: string) =>
    body.replaceAll(hostname, 'HOST').replace(/check=[\w-]+/, 'check=CHECK');

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway('node', { DEFAULT_ACCESS: 'project' });
    gatewayOrigin = `http://localhost:${gw.port}`;
    await register('other', 'owner', 'u-zed');
    await register('gone', 'project');
    await register('locked', 'project', 'u-zed');
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  describe('on the gateway host (authorize)', () => {
    it('gives one page for an unknown service and a refused one, offering to sign in as someone else', async () => {
      const b = new Browserish(gw.port);
      expect((await devLogin(b)).status).toBe(303);
      const missing = await b.go(`${gatewayOrigin}${authorize(host('nothing'))}`);
      const refused = await b.go(`${gatewayOrigin}${authorize(host('other'))}`);
      expect([missing.status, refused.status]).toEqual([404, 404]);
      expect(neutral(refused.body, host('other'))).toBe(neutral(missing.body, host('nothing')));
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(refused.body).toContain('Signed in as <strong id="dg-user">alice</strong>');
      expect(refused.body).toContain('<form method="post" action="/auth/logout">');
      expect(refused.body).toContain(
        `<input type="hidden" name="next" value="${authorize(host('other')).replaceAll('&', '&amp;')}">`,
      );
      expect(gw.output()).toMatch(/"reason":"access_denied","hostname":"uc-other\.org-org-a\.localhost"/);
    });

    it('escapes the username', async () => {
      const b = new Browserish(gw.port);
      await devLogin(b, { ...ALICE, name: '<img src=x onerror=alert(1)>&"' });
      const page = await b.go(`${gatewayOrigin}${authorize(host('other'))}`);
      expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;');
      expect(page.body).not.toContain('<img');
    });

    it('logs out and returns to the authorize URL, which asks for the login again', async () => {
      const b = new Browserish(gw.port);
      await devLogin(b);
      const out = await b.go(`${gatewayOrigin}/auth/logout`, {
        method: 'POST',
        body: new URLSearchParams({ next: authorize(host('other')) }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
      });
      expect(out.status).toBe(303);
      expect(out.location).toBe(`${gatewayOrigin}${authorize(host('other'))}`);
      expect(b.cookies('localhost').has('dg_gw')).toBe(false);
      const again = await b.go(out.location as string);
      expect(again.status).toBe(302);
      expect(new URL(again.location as string).pathname).toBe('/auth/login');
    });

    it.each([
      '@evil.example/',
      '//evil.example/auth/authorize?x',
      '/\\evil.example',
      'https://evil.example/',
    ])('logs out but drops next=%s', async (next) => {
      const b = new Browserish(gw.port);
      await devLogin(b);
      const out = await b.go(`${gatewayOrigin}/auth/logout`, {
        method: 'POST',
        body: new URLSearchParams({ next }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
      });
      expect(out.status).toBe(303);
      expect(out.location).toBe(`${gatewayOrigin}/`);
      expect(b.cookies('localhost').has('dg_gw')).toBe(false);
    });
  });

  describe('on the service host', () => {
    let b: Browserish;
    let refused: Step;

    beforeAll(async () => {
      b = new Browserish(gw.port);
      for (const c of ['gone', 'locked']) expect((await signIn(b, host(c))).status).toBe(200);
      // Then one service disappears and the other becomes u-zed's alone.
      const revoked = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/containers/gone/revoke`, {
        method: 'POST',
      });
      expect(revoked.status).toBe(200);
      await register('locked', 'owner', 'u-zed');
      refused = await b.go(url(host('locked'), '/some/page'));
    });

    it('gives one page for a vanished service and a refused one, both with the offer', async () => {
      const missing = await b.go(url(host('gone'), '/some/page'));
      expect([missing.status, refused.status]).toEqual([404, 404]);
      expect(neutral(refused.body, host('locked'))).toBe(neutral(missing.body, host('gone')));
      expect(refused.body).toContain('Signed in as <strong id="dg-user">alice</strong>');
      expect(refused.body).toMatch(
        /<form method="post" action="\/_dg\/sign-out\?check=[\w-]{43}&amp;path=%2Fsome%2Fpage">/,
      );
    });

    it('offers nothing to a visitor without a session, and the page is otherwise the same', async () => {
      const stranger = await new Browserish(gw.port).go(url(host('gone'), '/some/page'));
      expect(stranger.status).toBe(404);
      expect(stranger.body).not.toContain('Signed in');
      expect(neutral(refused.body, host('locked')).replace(OFFER, '')).toBe(
        neutral(stranger.body, host('gone')),
      );
    });

    it('answers scripts with the same JSON for both, without the offer', async () => {
      const [gone, locked] = await Promise.all([
        b.go(url(host('gone'), '/api'), { navigate: false }),
        b.go(url(host('locked'), '/api'), { navigate: false }),
      ]);
      expect([gone.status, locked.status]).toEqual([404, 404]);
      expect(locked.body.replaceAll(host('locked'), 'HOST')).toBe(gone.body.replaceAll(host('gone'), 'HOST'));
      expect(JSON.parse(locked.body)).toMatchObject({ error: { code: 'GW_ERR_NO_ROUTE' } });
    });

    it('refuses a sign-out without the check of this session (403), keeping the session', async () => {
      const otherCheck = /check=([\w-]+)/.exec((await b.go(url(host('gone')))).body)?.[1] ?? '';
      for (const query of ['', '?check=', `?check=${'A'.repeat(43)}`, `?check=${otherCheck}`]) {
        const res = await b.go(url(host('locked'), `/_dg/sign-out${query}`), { method: 'POST' });
        expect(res.status, query).toBe(403);
        expect(res.headers['set-cookie'], query).toBeUndefined();
      }
      // A cross-site form carries no session cookie at all.
      const stranger = await new Browserish(gw.port).go(url(host('locked'), '/_dg/sign-out?check=x'), {
        method: 'POST',
      });
      expect(stranger.status).toBe(403);
      expect(b.cookies(host('locked')).has('dg_session')).toBe(true);
      expect(gw.output()).toMatch(/"reason":"csrf_refused","path":"\/_dg\/sign-out"/);
    });

    it('with the check: ends the session and starts a new sign-in flow back to the page', async () => {
      const action = /action="([^"]+)"/.exec(refused.body)?.[1]?.replaceAll('&amp;', '&') as string;
      const out = await b.go(url(host('locked'), action), { method: 'POST' });
      expect(out.status).toBe(303);
      const to = new URL(out.location as string);
      expect(`${to.origin}${to.pathname}`).toBe(`${gatewayOrigin}/auth/authorize`);
      expect(to.searchParams.get('host')).toBe(host('locked'));
      expect(b.cookies(host('locked')).has('dg_session')).toBe(false);
      const flow = b.cookies(host('locked')).get(`dg_flow_${to.searchParams.get('flow')}`) ?? '';
      expect(Buffer.from(flow.split('.')[1] ?? '', 'base64url').toString()).toBe('/some/page');
      // The gateway host still knows alice, who still may not see it: its own page, with its own offer.
      const again = await b.go(out.location as string);
      expect(again.status).toBe(404);
      expect(again.body).toContain('action="/auth/logout"');
    });
  });
});
