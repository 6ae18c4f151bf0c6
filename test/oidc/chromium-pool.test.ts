/**
 * The Chromium flow across a pool: two gateways on one redis-server (one DATA_DIR: the same keys, as a pool
 * shares them) behind a small round-robin HTTP balancer on loopback, which sends each request to the other
 * gateway than the one before. The relying party runs as a container service; the user goes through the
 * platform's login once and ends signed in to the app as themselves, both gateways having served the
 * provider's steps.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { launchLoopbackChromium } from '../support/chromium.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { type PlatformLogin, startPlatformLogin } from '../support/platform-login.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { type RelyingParty, startRelyingParty } from './relying-party.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

interface Balancer {
  port: number;
  /** Requests under /oidc/ each gateway served, by gateway port. */
  oidcServed: Map<number, number>;
  close(): Promise<void>;
}

/** Round robin per request (not per connection: Chromium keeps connections alive). */
async function startBalancer(port: number, gateways: () => number[]): Promise<Balancer> {
  let turn = 0;
  const oidcServed = new Map<number, number>();
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const targets = gateways();
    const target = targets[turn++ % targets.length] as number;
    if (req.url?.startsWith('/oidc/')) oidcServed.set(target, (oidcServed.get(target) ?? 0) + 1);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const answer = await request(`http://127.0.0.1:${target}${req.url}`, {
      method: req.method as 'GET',
      headers,
      body: hasBody ? req : undefined,
    });
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    res.writeHead(answer.statusCode, out);
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  };
  const server: Server = createServer((req, res) => {
    forward(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    oidcServed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('OIDC sign-in in Chromium across a pool of two gateways', () => {
  let redis: TestRedis;
  let login: PlatformLogin;
  let gateways: GatewayProcess[] = [];
  let balancer: Balancer;
  let browser: Browser;
  let rp: RelyingParty;
  let publicPort: number;
  let secret: string;

  beforeAll(async () => {
    redis = await startRedis();
    login = await startPlatformLogin([{ user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT }]);
    publicPort = await freePort();
    const env = {
      REDIS_URL: redis.url,
      GATEWAY_FQDN: `localhost:${publicPort}`,
      LOGIN_URL: `${login.origin('login.localhost')}/`,
      DEFAULT_ACCESS: 'project',
      // Every proxied request logged: the app's callback (with its code in the query) among them.
      ACCESS_LOG: 'all',
    };
    const first = await startGateway('node', env);
    gateways = [first, await startGateway('node', { ...env, DATA_DIR: first.dataDir })];
    balancer = await startBalancer(publicPort, () => gateways.map((g) => g.port));
    const issuer = `http://localhost:${publicPort}`;
    const key = await readDevKey(first.dataDir);
    if (!key) throw new Error('no development key');
    login.configure(issuer, key);
    browser = await launchLoopbackChromium();
    rp = await startRelyingParty();
    const token = await first.token('rp1', PROJECT, ORG);
    const post = (body: unknown) =>
      fetch(`${first.base}/collab/event`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const map = {
      type: 'user-container:map-http-service',
      name: 'app',
      port: rp.port,
      oidc: { redirect_paths: ['/cb'] },
    };
    expect((await post({ event: map })).status).toBe(200);
    expect((await post({ event: { type: 'user-container:watchdog', system: {} } })).status).toBe(200);
    // Fetched through the other gateway: the same client, the secret derived alike.
    const credentials = (await fetch(`${gateways[1]?.base}/collab/oidc-client?service=app`, {
      headers: { authorization: token },
    }).then((r) => r.json())) as { issuer: string; client_id: string; client_secret: string };
    expect(credentials.issuer).toBe(issuer);
    secret = credentials.client_secret;
    await rp.configure(credentials.issuer, credentials.client_id, credentials.client_secret);
  });
  afterAll(async () => {
    await rp?.close();
    await browser?.close();
    await balancer?.close();
    for (const gw of gateways) await gw.stop();
    await login?.close();
    await redis?.stop();
  });

  it('signs the user in to the app as themselves, with the provider steps served by both gateways', async () => {
    const appUrl = `http://uc-rp1--app.org-${ORG}.localhost:${publicPort}/`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.waitForURL((u) => u.origin === login.origin('login.localhost'), { timeout: 10_000 });
    await page.click('#as-alice');
    await page.waitForURL(appUrl, { timeout: 10_000 });
    await expect.poll(() => page.textContent('#who')).toBe('Signed in as alice');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}');
    expect(claims).toMatchObject({ iss: `http://localhost:${publicPort}`, sub: 'u-alice' });
    for (const gw of gateways) expect(balancer.oidcServed.get(gw.port) ?? 0).toBeGreaterThan(0);
    await context.close();
    // The logs: the callback was logged (by path), its code, the client's secret and the cookies never.
    const logs = gateways.map((g) => g.output()).join('\n');
    expect(logs).toMatch(/"path":"\/cb"/);
    expect(logs).not.toMatch(/code=/);
    expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/dg_oidc_|dg_gw=|dg_session=/);
  });
});
