/**
 * The gateway as an OpenID Connect provider, against a real gateway process on the memory store and on a
 * real redis-server: a relying party written with `openid-client` (v6) signs a user in with the
 * authorization code flow and PKCE, verifies the ID token against the gateway's JWKS, and every refusal the
 * issue lists answers with the standard OAuth error. The browser's part is played by `Browserish` (cookie
 * jar, manual redirects); the Chromium test is chromium-flow.test.ts.
 */

import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../gateway/control/dev-login.ts';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';
const OTHER_PROJECT = 'proj-b';
const SCOPE = 'openid profile groups';

interface Credentials {
  issuer: string;
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
}

const CASES: [Runtime, 'memory' | 'redis'][] = [
  ['node', 'memory'],
  ['node', 'redis'],
  ['deno', 'memory'],
  ['bun', 'memory'],
];

describe.each(CASES)('OIDC provider on %s, %s store', (runtime, storeKind) => {
  let redis: TestRedis | undefined;
  let gw: GatewayProcess;
  let issuer: string;
  let app: Credentials;
  let other: Credentials;
  let config: client.Configuration;

  const host = (container: string, service: string) => `uc-${container}--${service}.org-${ORG}.localhost`;
  const collab = async (container: string, body: unknown) => {
    const res = await fetch(`${gw.base}/collab/event`, {
      method: 'POST',
      headers: { authorization: await gw.token(container, PROJECT, ORG), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const fetchClient = async (container: string, service: string): Promise<Response> =>
    fetch(`${gw.base}/collab/oidc-client?service=${service}`, {
      headers: { authorization: await gw.token(container, PROJECT, ORG) },
    });
  const mapWithClient = async (
    container: string,
    service: string,
    port: number,
    oidc: Record<string, unknown> = {},
  ) => {
    await collab(container, {
      event: {
        type: 'user-container:map-http-service',
        name: service,
        port,
        // The development key's default level is `public`: members of the project only, here.
        access: 'project',
        oidc: { redirect_paths: ['/cb'], ...oidc },
      },
    });
    const res = await fetchClient(container, service);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return (await res.json()) as Credentials;
  };

  /** A browser signed in at the gateway as a member of `project`. */
  const signedIn = async (userId: string, username: string, project: string) => {
    const browser = new Browserish(gw.port);
    const key = await readDevKey(gw.dataDir);
    if (!key) throw new Error('no development key');
    const token = await mintUserToken(key, { user_id: userId, username, org: ORG, project, role: 'member' });
    const login = await browser.go(`${issuer}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
    });
    expect(login.status).toBe(303);
    return browser;
  };

  /** Authorization request with PKCE, followed in the browser up to the redirect to the app. */
  const authorize = async (browser: Browserish, cfg = config, extra: Record<string, string> = {}) => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: app.redirect_uris[0] as string,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    const steps = await browser.follow(await browser.go(url.href), 8);
    return { steps, last: steps.at(-1) as (typeof steps)[number], verifier, state };
  };
  /** The redirect to the app's callback, where the browser would go next. */
  const callbackOf = (steps: { location?: string }[]) =>
    steps.map((s) => s.location).find((l) => l?.startsWith(app.redirect_uris[0] as string));

  const tokenRequest = (creds: Credentials, params: Record<string, string>) =>
    fetch(`${issuer}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${creds.client_id}:${creds.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', ...params }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  /** The relying party's configuration for a client with a secret (discovery over plain HTTP). */
  const discover = (creds: Credentials) =>
    client.discovery(new URL(issuer), creds.client_id, creds.client_secret, undefined, {
      execute: [client.allowInsecureRequests],
    });

  const codeFor = async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    const { steps, verifier } = await authorize(browser);
    const callback = new URL(callbackOf(steps) as string);
    return { code: callback.searchParams.get('code') as string, verifier };
  };

  beforeAll(async () => {
    const env: Record<string, string> = {};
    if (storeKind === 'redis') {
      redis = await startRedis();
      env.REDIS_URL = redis.url;
    }
    gw = await startGateway(runtime, env);
    issuer = `http://localhost:${gw.port}`;
    app = await mapWithClient('c1', 'app', 9);
    other = await mapWithClient('c2', 'app', 9);
    config = await discover(app);
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('hands the container its own client: id, secret, issuer, redirect URIs on its own hostname', () => {
    expect(app).toMatchObject({
      issuer,
      client_id: host('c1', 'app'),
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [
        `http://${host('c1', 'app')}:${gw.port}/cb`,
        `http://uc-c1.org-${ORG}.localhost:${gw.port}/cb`,
      ],
    });
    expect(app.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(other.client_id).not.toBe(app.client_id);
    expect(other.client_secret).not.toBe(app.client_secret);
  });

  it('signs a member of the project in: ID token verified against the gateway JWKS, userinfo', async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    const { steps, verifier, state } = await authorize(browser);
    const callback = callbackOf(steps);
    expect(callback).toBeDefined();
    const tokens = await client.authorizationCodeGrant(config, new URL(callback as string), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      iss: issuer,
      aud: app.client_id,
      sub: 'u-alice',
      preferred_username: 'alice',
      name: 'alice',
      groups: [`org:${ORG}:member`, `project:${PROJECT}:member`],
    });
    // The same key set the identity assertions use, at the discovery document's jwks_uri.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const verified = await jwtVerify(tokens.id_token as string, jwks, { issuer, audience: app.client_id });
    expect(verified.protectedHeader.alg).toBe('ES256');
    const info = await client.fetchUserInfo(config, tokens.access_token, 'u-alice');
    expect(info).toMatchObject({ sub: 'u-alice', preferred_username: 'alice' });
  });

  it('signs in whoever the gateway session names now: another user in the same browser gets their own sub', async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    const first = await authorize(browser);
    expect(callbackOf(first.steps)).toBeDefined();
    // The same browser (its provider session cookie kept) signs in at the gateway as carol.
    const key = await readDevKey(gw.dataDir);
    const token = await mintUserToken(key as NonNullable<typeof key>, {
      user_id: 'u-carol',
      username: 'carol',
      org: ORG,
      project: PROJECT,
      role: 'member',
    });
    await browser.go(`${issuer}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
    });
    const second = await authorize(browser);
    // The provider ends alice's provider session first: a page whose script posts a form to its own
    // origin (a browser submits it at once). Submitted here by hand, then followed.
    const page = second.last;
    expect(page.body).toContain('/oidc/session/end/confirm');
    const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1] as string;
    const fields = Object.fromEntries(
      [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    const confirmed = await browser.follow(
      await browser.go(action, {
        method: 'POST',
        body: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
      }),
      8,
    );
    second.steps.push(...confirmed);
    const tokens = await client.authorizationCodeGrant(config, new URL(callbackOf(second.steps) as string), {
      pkceCodeVerifier: second.verifier,
      expectedState: second.state,
    });
    expect(tokens.claims()).toMatchObject({ sub: 'u-carol', preferred_username: 'carol' });
  });

  it("lets a browser read userinfo from the app's own origin only (CORS)", async () => {
    const { code, verifier } = await codeFor();
    const issued = await tokenRequest(app, {
      code,
      redirect_uri: app.redirect_uris[0] as string,
      code_verifier: verifier,
    });
    const userinfo = (origin: string) =>
      fetch(`${issuer}/oidc/me`, {
        headers: { authorization: `Bearer ${issued.body.access_token as string}`, origin },
      });
    const own = new URL(app.redirect_uris[0] as string).origin;
    expect((await userinfo(own)).headers.get('access-control-allow-origin')).toBe(own);
    const foreign = new URL(other.redirect_uris[0] as string).origin;
    expect((await userinfo(foreign)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a redirect URI that is not registered exactly (invalid_redirect_uri), sending nowhere', async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    for (const redirect of [
      `http://${host('c1', 'app')}:${gw.port}/cb/other`,
      `http://${host('c1', 'app')}:${gw.port}/cb?x=1`,
      `http://evil.example/cb`,
      other.redirect_uris[0] as string,
    ]) {
      const { last, steps } = await authorize(browser, config, { redirect_uri: redirect });
      expect(steps).toHaveLength(1);
      expect(last.status).toBe(400);
      expect(last.body).toContain('invalid_redirect_uri');
      expect(last.location).toBeUndefined();
    }
  });

  it('refuses an authorization request without PKCE (invalid_request back to the app)', async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirect_uris[0] as string,
      scope: SCOPE,
      state: client.randomState(),
    });
    const step = await browser.go(url.href);
    const location = new URL(step.location as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('redeems a code once: a replay is invalid_grant and revokes what the first redemption gave', async () => {
    const { code, verifier } = await codeFor();
    const params = { code, redirect_uri: app.redirect_uris[0] as string, code_verifier: verifier };
    const first = await tokenRequest(app, params);
    expect(first.status).toBe(200);
    const replay = await tokenRequest(app, params);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const info = await fetch(`${issuer}/oidc/me`, {
      headers: { authorization: `Bearer ${first.body.access_token as string}` },
    });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('refuses a missing or wrong PKCE verifier (invalid_grant)', async () => {
    for (const verifierOf of [() => undefined, () => client.randomPKCECodeVerifier()]) {
      const { code } = await codeFor();
      const wrongOrNone = verifierOf();
      const params: Record<string, string> = { code, redirect_uri: app.redirect_uris[0] as string };
      if (wrongOrNone) params.code_verifier = wrongOrNone;
      const answer = await tokenRequest(app, params);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
    }
  });

  it("refuses another container's client: its id with this app's redirect, its secret for this code", async () => {
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    const otherConfig = await discover(other);
    const { last } = await authorize(browser, otherConfig);
    expect(last.status).toBe(400);
    expect(last.body).toContain('invalid_redirect_uri');
    const { code, verifier } = await codeFor();
    const answer = await tokenRequest(other, {
      code,
      redirect_uri: app.redirect_uris[0] as string,
      code_verifier: verifier,
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const forged = await tokenRequest(
      { ...app, client_secret: 'not-the-secret' },
      {
        code,
        redirect_uri: app.redirect_uris[0] as string,
        code_verifier: verifier,
      },
    );
    expect(forged).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('refuses a user of another project with the proxy’s 404 page: no code, nothing about the service', async () => {
    const browser = await signedIn('u-bob', 'bob', OTHER_PROJECT);
    const { steps, last } = await authorize(browser);
    expect(callbackOf(steps)).toBeUndefined();
    expect(last.status).toBe(404);
    expect(last.body).toContain('Nothing here');
    expect(last.body).not.toContain('code=');
  });

  it('sends a browser without a gateway session to the login, and back to the interaction', async () => {
    const browser = new Browserish(gw.port);
    const { last, steps } = await authorize(browser);
    expect(last.status).toBe(200); // the development login page
    const toLogin = steps.find((s) => s.location?.includes('/auth/login'))?.location as string;
    expect(new URL(toLogin).searchParams.get('next')).toMatch(/^\/oidc\/interaction\/[A-Za-z0-9_-]+$/);
  });

  it('ends a client with its service (unmap) and with its container (revocation)', async () => {
    const doomed = await mapWithClient('c3', 'app', 9);
    const doomedConfig = await discover(doomed);
    const browser = await signedIn('u-alice', 'alice', PROJECT);
    // Tokens issued before the revocation stop working with it.
    const before = await authorize(browser, doomedConfig, {
      redirect_uri: doomed.redirect_uris[0] as string,
    });
    const callback = before.steps
      .map((s) => s.location)
      .find((l) => l?.startsWith(doomed.redirect_uris[0] as string));
    const tokens = await client.authorizationCodeGrant(doomedConfig, new URL(callback as string), {
      pkceCodeVerifier: before.verifier,
      expectedState: before.state,
    });
    const revoke = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/containers/c3/revoke`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    const info = await fetch(`${issuer}/oidc/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(401);
    const after = await authorize(browser, doomedConfig, { redirect_uri: doomed.redirect_uris[0] as string });
    expect(after.last.status).toBe(400);
    expect(after.last.body).toContain('invalid_client');
    expect((await fetchClient('c3', 'app')).status).toBe(403);

    // Unmapping a service: its client is gone, for the container and at the token endpoint.
    const unmapped = await mapWithClient('c4', 'app', 9);
    await collab('c4', { event: { type: 'user-container:unmap-http-service', name: 'app' } });
    expect((await fetchClient('c4', 'app')).status).toBe(404);
    const answer = await tokenRequest(unmapped, {
      code: 'x',
      redirect_uri: unmapped.redirect_uris[0] as string,
    });
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('signs in a public client (no secret, PKCE) and a private_key_jwt client; a foreign key is invalid_client', async () => {
    const keys = await generateKeyPair('ES256');
    const jwk = await exportJWK(keys.publicKey);
    const cases = [
      {
        container: 'c5',
        oidc: { token_endpoint_auth_method: 'none' },
        auth: () => client.None(),
      },
      {
        container: 'c6',
        oidc: { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
        auth: () => client.PrivateKeyJwt(keys.privateKey),
      },
    ];
    for (const { container, oidc, auth } of cases) {
      const creds = await mapWithClient(container, 'app', 9, oidc);
      expect(creds.client_secret).toBeUndefined();
      const cfg = await client.discovery(new URL(issuer), creds.client_id, undefined, auth(), {
        execute: [client.allowInsecureRequests],
      });
      const browser = await signedIn('u-alice', 'alice', PROJECT);
      const redirect = creds.redirect_uris[0] as string;
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirect,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const steps = await browser.follow(await browser.go(url.href), 8);
      const callback = steps.map((s) => s.location).find((l) => l?.startsWith(redirect));
      const tokens = await client.authorizationCodeGrant(cfg, new URL(callback as string), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(tokens.claims()).toMatchObject({ sub: 'u-alice', aud: creds.client_id });
    }
    // A token request signed with a key the client never registered.
    const stranger = await generateKeyPair('ES256');
    const clientId = `uc-c6--app.org-${ORG}.localhost`;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(issuer)
      .setJti(client.randomState())
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(stranger.privateKey);
    const refused = await fetch(`${issuer}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: `http://${clientId}:${gw.port}/cb`,
        code_verifier: client.randomPKCECodeVerifier(),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses a client request that names another host, a query, or private keys (400)', async () => {
    const bad = [
      { redirect_paths: ['https://evil.example/cb'] },
      { redirect_paths: ['/cb?next=x'] },
      { redirect_paths: ['/cb'], token_endpoint_auth_method: 'private_key_jwt' },
      {
        redirect_paths: ['/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)] },
      },
    ];
    for (const oidc of bad) {
      const res = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        headers: { authorization: await gw.token('c7', PROJECT, ORG), 'content-type': 'application/json' },
        body: JSON.stringify({
          event: { type: 'user-container:map-http-service', name: 'app', port: 9, oidc },
        }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('GW_ERR_BAD_EVENT');
    }
    expect((await fetchClient('c7', 'app')).status).toBe(404);
  });

  it('refuses a token request body over 64 KiB before it reaches the provider (413)', async () => {
    const res = await fetch(`${issuer}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=authorization_code&code=${'x'.repeat(70 * 1024)}`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('counts the interactions by how they ended (gateway_sign_in_total)', async () => {
    const metrics = await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`).then((r) => r.text());
    const count = (result: string) =>
      Number(
        new RegExp(
          `^gateway_sign_in_total\\{step="oidc_interaction",result="${result}"\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(count('ok')).toBeGreaterThan(0);
    expect(count('not_allowed')).toBeGreaterThan(0);
    expect(count('login_required')).toBeGreaterThan(0);
  });

  it('never writes a client secret, code or token in its log', () => {
    const out = gw.output();
    expect(out).not.toContain(app.client_secret as string);
    expect(out).not.toContain(other.client_secret as string);
    expect(out).not.toMatch(/code=[A-Za-z0-9_-]{20,}/);
  });
});
