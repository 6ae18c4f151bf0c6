/**
 * A small relying party written with `openid-client` (v6), run by tests as a container service behind the
 * gateway's proxy: `/` shows who is signed in or starts the authorization code flow with PKCE, `/cb`
 * redeems the code, and the ID token is verified against the gateway's JWKS before anyone is let in.
 * Sessions are an `rp_sid` cookie (not a `dg_` one: the gateway keeps those from containers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';

interface Session {
  verifier?: string;
  state?: string;
  claims?: JWTPayload;
  accessToken?: string;
}

export interface RelyingParty {
  port: number;
  /** Called once the container fetched its client: discovery at the gateway. */
  configure(issuer: string, clientId: string, clientSecret: string): Promise<void>;
  /** How many callbacks arrived, and how many ended signed in. */
  callbacks: { arrived: number; signedIn: number; errors: string[] };
  /** Userinfo with the last access token it holds (throws when the gateway refuses it). */
  userinfoOfLast(): Promise<unknown>;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export async function startRelyingParty(): Promise<RelyingParty> {
  let config: client.Configuration | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  let issuer = '';
  let last: { accessToken: string; sub: string } | undefined;
  const sessions = new Map<string, Session>();
  const callbacks = { arrived: 0, signedIn: 0, errors: [] as string[] };

  const sessionOf = (req: IncomingMessage, res: ServerResponse): Session => {
    const sid = /(?:^|;\s*)rp_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (sid && sessions.has(sid)) return sessions.get(sid) as Session;
    const fresh = client.randomState();
    sessions.set(fresh, {});
    res.setHeader('set-cookie', `rp_sid=${fresh}; Path=/; HttpOnly; SameSite=Lax`);
    return sessions.get(fresh) as Session;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!config || !jwks) return res.writeHead(503).end('not configured');
    const here = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const session = sessionOf(req, res);
    if (here.pathname === '/cb') {
      callbacks.arrived += 1;
      const tokens = await client.authorizationCodeGrant(config, here, {
        pkceCodeVerifier: session.verifier,
        expectedState: session.state,
      });
      // openid-client checks the ID token's claims; its signature is checked here, against the gateway's JWKS.
      const { payload } = await jwtVerify(tokens.id_token as string, jwks, {
        issuer,
        audience: config.clientMetadata().client_id,
      });
      session.claims = payload;
      session.accessToken = tokens.access_token;
      last = { accessToken: tokens.access_token, sub: String(payload.sub) };
      callbacks.signedIn += 1;
      res.writeHead(302, { location: '/' }).end();
      return;
    }
    if (session.claims) {
      const who = escapeHtml(String(session.claims.preferred_username));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>RP</title><h1 id="who">Signed in as ${who}</h1><pre id="claims">${escapeHtml(JSON.stringify(session.claims))}</pre>`,
      );
      return;
    }
    session.verifier = client.randomPKCECodeVerifier();
    session.state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `http://${req.headers.host}/cb`,
      scope: 'openid profile groups',
      code_challenge: await client.calculatePKCECodeChallenge(session.verifier),
      code_challenge_method: 'S256',
      state: session.state,
    });
    res.writeHead(302, { location: url.href }).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const code = (err as { error?: string }).error ?? (err as Error).name;
      callbacks.errors.push(code);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`sign-in failed: ${code}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    callbacks,
    async configure(issuerUrl, clientId, clientSecret) {
      issuer = issuerUrl;
      config = await client.discovery(new URL(issuerUrl), clientId, clientSecret, undefined, {
        execute: [client.allowInsecureRequests],
      });
      jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
    },
    async userinfoOfLast() {
      if (!config || !last) throw new Error('nobody signed in');
      return client.fetchUserInfo(config, last.accessToken, last.sub);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
