/**
 * A stand-in for the platform's login page on its own loopback origin: `GET /?next=…` shows one form per
 * user, each posting a user token (signed with the gateway's development key, as the platform signs
 * with its own) and `next` to the gateway's `/auth/login`, as the real page must. Any Host is served, so
 * the same page under another hostname is "some other origin".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevKey } from '../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../gateway/control/dev-login.ts';

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
