/**
 * The OpenID Connect provider while Redis is hung or dead: its endpoints that need the store answer 503
 * GW_ERR_STORE_UNAVAILABLE with Retry-After within the store's deadline, as every other path does (not the
 * provider's 500 server_error), and nothing is logged per request (the store's health says it once).
 * Discovery needs no store and keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const CLIENT = 'uc-c1--app.org-org-a.localhost';

describe('OIDC provider with the store down (Node)', () => {
  let redis: TestRedis;
  let gw: GatewayProcess;
  let issuer: string;
  const authorizeUrl = () => {
    const url = new URL(`${issuer}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: CLIENT,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `http://${CLIENT}:${gw.port}/cb`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    }).toString();
    return url.href;
  };
  /** The provider's store-backed endpoints: the authorization request and a code redemption. */
  const storeBacked = async () => [
    await timed(fetch(authorizeUrl(), { redirect: 'manual' })),
    await timed(
      fetch(`${issuer}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'c'.repeat(43),
          redirect_uri: `http://${CLIENT}:${gw.port}/cb`,
          code_verifier: 'v'.repeat(43),
          client_id: CLIENT,
          client_secret: 'x',
        }),
      }),
    ),
  ];
  const timed = async (answer: Promise<Response>) => {
    const started = performance.now();
    const res = await answer;
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: await res.text(),
      ms: performance.now() - started,
    };
  };
  const expectOutageAnswers = (answers: Awaited<ReturnType<typeof storeBacked>>) => {
    for (const answer of answers) {
      expect(answer, answer.body).toMatchObject({ status: 503, retryAfter: '5' });
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'GW_ERR_STORE_UNAVAILABLE' } });
      expect(answer.ms).toBeLessThan(5_000); // STORE_TIMEOUT is 1 s: a bound, not a measurement
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway('node', { REDIS_URL: redis.url, STORE_TIMEOUT: '1s' });
    issuer = `http://localhost:${gw.port}`;
    const mapped = await fetch(`${gw.base}/collab/event`, {
      method: 'POST',
      headers: { authorization: await gw.token('c1', 'proj-a', 'org-a'), 'content-type': 'application/json' },
      body: JSON.stringify({
        event: {
          type: 'user-container:map-http-service',
          name: 'app',
          port: 9,
          oidc: { redirect_paths: ['/cb'] },
        },
      }),
    });
    expect(mapped.status).toBe(200);
    // With the store up, the request goes on to the gateway's interaction.
    const alive = await fetch(authorizeUrl(), { redirect: 'manual' });
    expect(alive.status).toBe(303);
    expect(alive.headers.get('location')).toMatch(/^\/oidc\/interaction\//);
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('hung (SIGSTOP): 503 with Retry-After after the store deadline, no line per request', async () => {
    const mark = gw.output().length;
    redis.pause();
    try {
      expectOutageAnswers(await storeBacked());
    } finally {
      redis.resume();
    }
    expect(gw.output().slice(mark)).not.toContain('oidc provider error');
  });

  it('dead (SIGKILL): 503 with Retry-After at once; discovery still answers', async () => {
    const mark = gw.output().length;
    await redis.kill();
    expectOutageAnswers(await storeBacked());
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(issuer);
    expect(gw.output().slice(mark)).not.toContain('oidc provider error');
  });
});
