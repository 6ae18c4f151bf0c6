/**
 * A stand-in for the platform's login page on its own loopback origin: `GET /?next=…` shows one form per
 * user, each posting a user token (signed with the gateway's development key, as the platform signs
 * with its own) and `next` to the gateway's `/auth/login`, as the real page must. Any Host is served, so
 * the same page under another hostname is "some other origin".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DevKey, readDevKey } from '../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../gateway/control/dev-login.ts';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { type DemoFixture, startDemoFixture } from './demo-fixture.ts';

export interface PlatformUser {
  user_id: string;
  username: string;
  org: string;
  project: string;
}

export interface PlatformLogin {
  port: number;
  /** `http://<hostname>:<port>` of this server. */
  origin(hostname: string): string;
  /** Where forms post and which key signs: known only once the gateway runs. */
  configure(gatewayOrigin: string, key: DevKey): void;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export async function startPlatformLogin(users: PlatformUser[]): Promise<PlatformLogin> {
  let target: { gatewayOrigin: string; key: DevKey } | undefined;
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (!target || req.method !== 'GET') {
        res.writeHead(503).end();
        return;
      }
      const next = new URL(req.url ?? '/', 'http://x').searchParams.get('next') ?? '';
      const forms = await Promise.all(
        users.map(
          async (user) =>
            `<form method="post" action="${escapeHtml(`${target?.gatewayOrigin}/auth/login`)}">` +
            `<input type="hidden" name="token" value="${await mintUserToken(target?.key as DevKey, { ...user })}">` +
            `<input type="hidden" name="next" value="${escapeHtml(next)}">` +
            `<button type="submit" id="as-${escapeHtml(user.username)}">Sign in as ${escapeHtml(user.username)}</button></form>`,
        ),
      );
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `<!doctype html><html lang="en"><title>Platform login</title><h1>Platform login</h1>${forms.join('')}</html>`,
      );
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: (hostname) => `http://${hostname}:${port}`,
    configure(gatewayOrigin, key) {
      target = { gatewayOrigin, key };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The demo fixture behind a gateway whose `LOGIN_URL` is a platform login page on `login.localhost`. */
export interface PlatformFixture {
  login: PlatformLogin;
  fixture: DemoFixture;
  /** `http://login.localhost:<port>`. */
  loginOrigin: string;
  /** `http://localhost:<gateway port>`. */
  gatewayOrigin: string;
  close(): Promise<void>;
}

/**
 * Starts both (the gateway on `runtime`), services defaulting to `project` access, the login page signing
 * with the gateway's key.
 */
export async function startPlatformFixture(
  org: string,
  project: string,
  users: PlatformUser[],
  runtime: Runtime = 'node',
): Promise<PlatformFixture> {
  const login = await startPlatformLogin(users);
  const loginOrigin = login.origin('login.localhost');
  let fixture: DemoFixture | undefined;
  try {
    fixture = await startDemoFixture(
      org,
      project,
      {
        DEFAULT_ACCESS: 'project',
        LOGIN_URL: `${loginOrigin}/`,
      },
      runtime,
    );
    const gatewayOrigin = `http://localhost:${fixture.gw.port}`;
    const key = await readDevKey(fixture.gw.dataDir);
    if (!key) throw new Error('the gateway wrote no development key');
    login.configure(gatewayOrigin, key);
    const started = fixture;
    return {
      login,
      fixture: started,
      loginOrigin,
      gatewayOrigin,
      close: async () => {
        await started.close();
        await login.close();
      },
    };
  } catch (err) {
    await fixture?.close();
    await login.close();
    throw err;
  }
}
