/**
 * oidc-provider is a Koa app with a Node `(req, res)` callback. One way for Node, Deno and Bun alike: it runs
 * on an internal `node:http` server bound to 127.0.0.1 on an ephemeral port, and the control app forwards
 * the provider's paths to it with `fetch` (one loopback hop; see README.md for its cost). The forwarder
 * replaces the forwarding headers: the provider builds its URLs from GATEWAY_FQDN and PUBLIC_SCHEME, never
 * from what a client sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Provider } from 'oidc-provider';

/** Request headers never forwarded: hop-by-hop, and forwarding headers the forwarder sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'content-length',
]);
const DROPPED_ANSWER = new Set(['connection', 'keep-alive', 'transfer-encoding']);
/** Largest body forwarded to the provider (its own limit is 56 KiB): the forwarder reads bodies whole. */
export const PROVIDER_BODY_LIMIT = 64 * 1024;

export interface ProviderListener {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  close(): Promise<void>;
}

export async function listenProvider(provider: Provider): Promise<ProviderListener> {
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

export interface ProviderRoutesOptions {
  /** Where the provider listens (ProviderListener.origin); started on first use. */
  target: () => Promise<string>;
  /** GATEWAY_FQDN: the Host the provider is told. */
  publicHost: string;
  scheme: 'http' | 'https';
}

/** The control app's side: discovery and `/oidc/*` go to the provider; the JWKS stays the control app's. */
export function providerRoutes(options: ProviderRoutesOptions): Hono {
  const app = new Hono();
  const forward = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const headers = new Headers();
    for (const [name, value] of request.headers) if (!DROPPED.has(name)) headers.append(name, value);
    headers.set('host', options.publicHost);
    headers.set('x-forwarded-host', options.publicHost);
    headers.set('x-forwarded-proto', options.scheme);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const answer = await fetch(`${await options.target()}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: 'manual',
    });
    const out = new Headers();
    for (const [name, value] of answer.headers)
      if (!DROPPED_ANSWER.has(name) && name !== 'set-cookie') out.append(name, value);
    for (const cookie of answer.headers.getSetCookie()) out.append('set-cookie', cookie);
    return new Response(answer.body, { status: answer.status, headers: out });
  };
  app.use(
    '/oidc/*',
    bodyLimit({
      maxSize: PROVIDER_BODY_LIMIT,
      onError: (c) =>
        c.json({ error: 'invalid_request', error_description: 'the request body is too large' }, 413),
    }),
  );
  app.get('/.well-known/openid-configuration', (c) => forward(c.req.raw));
  app.all('/oidc/*', (c) => forward(c.req.raw));
  return app;
}
