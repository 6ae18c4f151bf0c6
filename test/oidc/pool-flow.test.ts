/**
 * The OpenID Connect flow across two gateways of a pool (one redis-server, one DATA_DIR for the shared
 * keys, one GATEWAY_FQDN: the issuer), every request of it sent to the other gateway than the one before,
 * as a load balancer may: the authorization starts on one, the interaction and the resume alternate, the
 * code is redeemed and the tokens used on whichever comes next. A replayed code is refused by either.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../gateway/control/dev-login.ts';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('OIDC across a pool of two gateways on one redis', () => {
  let redis: TestRedis;
  let gateways: GatewayProcess[];
  let issuerHost: string;
  let issuer: string;
  let turn = 0;
  /** The next gateway, alternating. */
  const nextPort = () => (gateways[turn++ % 2] as GatewayProcess).port;

  /** A request to one gateway with the issuer's Host, as a load balancer forwards it. */
  const viaGateway = async (
    port: number,
    path: string,
    init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
  ) => {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      method: init.method ?? 'GET',
      headers: { host: issuerHost, ...init.headers },
      body: init.body,
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };

  beforeAll(async () => {
    redis = await startRedis();
    const publicPort = await freePort();
    issuerHost = `localhost:${publicPort}`;
    issuer = `http://${issuerHost}`;
    const env = { REDIS_URL: redis.url, GATEWAY_FQDN: issuerHost };
    const first = await startGateway('node', env);
    // The same DATA_DIR: the same development key, SESSION_SECRET and ASSERTION_KEY, as a pool shares them.
    const second = await startGateway('node', { ...env, DATA_DIR: first.dataDir });
    gateways = [first, second];
  });
  afterAll(async () => {
    for (const gw of gateways ?? []) await gw.stop();
    await redis?.stop();
  });

  it('signs a user in with each step on the other gateway, and refuses the replay on both', async () => {
    const [gwA, gwB] = gateways as [GatewayProcess, GatewayProcess];
    const token = await gwA.token('c1', PROJECT, ORG);
    const mapped = await viaGateway(gwA.port, '/collab/event', {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({
        event: {
          type: 'user-container:map-http-service',
          name: 'app',
          port: 9,
          access: 'project',
          oidc: { redirect_paths: ['/cb'] },
        },
      }),
    });
    expect(mapped.status).toBe(200);
    // Registered through one gateway, fetched through the other: the same client.
    const credentials = JSON.parse(
      (await viaGateway(gwB.port, '/collab/oidc-client?service=app', { headers: { authorization: token } }))
        .body,
    ) as { client_id: string; client_secret: string; redirect_uris: string[] };
    const again = JSON.parse(
      (await viaGateway(gwA.port, '/collab/oidc-client?service=app', { headers: { authorization: token } }))
        .body,
    );
    expect(again).toEqual(credentials);

    const browser = new Browserish(nextPort);
    const key = await readDevKey(gwA.dataDir);
    const userToken = await mintUserToken(key as NonNullable<typeof key>, {
      user_id: 'u-alice',
      username: 'alice',
      org: ORG,
      project: PROJECT,
      role: 'member',
    });
    const login = await browser.go(`${issuer}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: userToken }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
    });
    expect(login.status).toBe(303);

    const verifier = client.randomPKCECodeVerifier();
    const redirectUri = credentials.redirect_uris[0] as string;
    const authorize = new URL(`${issuer}/oidc/auth`);
    authorize.search = new URLSearchParams({
      client_id: credentials.client_id,
      response_type: 'code',
      scope: 'openid profile',
      redirect_uri: redirectUri,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'pool-state',
    }).toString();
    const steps = await browser.follow(await browser.go(authorize.href), 6);
    const callback = steps.map((s) => s.location).find((l) => l?.startsWith(redirectUri));
    expect(callback).toBeDefined();
    const code = new URL(callback as string).searchParams.get('code') as string;

    const basic = `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`;
    const redeem = (port: number) =>
      viaGateway(port, '/oidc/token', {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        }).toString(),
      });
    const tokens = await redeem(nextPort());
    expect(tokens.status).toBe(200);
    const { id_token, access_token } = JSON.parse(tokens.body) as { id_token: string; access_token: string };
    // The JWKS as one gateway serves it: the ID token from the other verifies against it.
    const jwks = JSON.parse((await viaGateway(nextPort(), '/.well-known/jwks.json')).body);
    const { payload } = await jwtVerify(id_token, createLocalJWKSet(jwks), {
      issuer,
      audience: credentials.client_id,
    });
    expect(payload).toMatchObject({ sub: 'u-alice', preferred_username: 'alice' });
    for (const gw of gateways) {
      const info = await viaGateway(gw.port, '/oidc/me', {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(info.status).toBe(200);
      expect(JSON.parse(info.body)).toMatchObject({ sub: 'u-alice' });
    }
    // The code is spent for the whole pool; the replay also revokes what it gave, on every gateway.
    for (const gw of gateways) {
      const replay = await redeem(gw.port);
      expect(replay.status).toBe(400);
      expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_grant' });
    }
    for (const gw of gateways) {
      const info = await viaGateway(gw.port, '/oidc/me', {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(info.status).toBe(401);
    }
  });
});
