/**
 * The Stage 1 stand-in: an HTTPS front with a self-signed certificate made at start, forwarding every
 * request (and WebSocket upgrade) to a plain HTTP upstream, bodies streamed, `Host` kept,
 * `X-Forwarded-Proto: https` added. With `tls: false` it is a plain forwarder (used by tests to reach an
 * in-process server over a unix socket from inside a namespace).
 *
 *   startTlsTerminator({ listen: {host, port}, upstream: {host, port} | {socketPath}, names?, tls? })
 *     -> Promise<{ port, close() }>           in this process (this namespace)
 *   selfSignedCertificate(names) -> Promise<{ cert, key }>   PEM, ECDSA P-256, SAN = names
 * To run it inside a namespace use tls-terminator-main.ts (see there) or startTlsTerminatorIn (front.ts).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as x509 from '@peculiar/x509';

export type Upstream = { host: string; port: number } | { socketPath: string };

export interface TerminatorOptions {
  listen: { host: string; port: number };
  upstream: Upstream;
  /** DNS names for the certificate's SAN (the gateway FQDN, `*.org-x.domain`, ...). */
  names?: string[];
  /** false: plain HTTP front (no certificate). Default true. */
  tls?: boolean;
  /** A certificate to present instead of a new self-signed one (a pool's fronts share one). */
  certificate?: { cert: string; key: string };
}

export interface RunningTerminator {
  port: number;
  close(): Promise<void>;
}

/** A throwaway self-signed certificate; the private key never leaves memory. */
export async function selfSignedCertificate(names: string[]): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const dnsNames = names.length > 0 ? names : ['localhost'];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${dnsNames[0]}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 24 * 3600_000),
    keys: keys as CryptoKeyPair,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}

function forwardedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
  headers['x-forwarded-proto'] = 'https';
  const client = req.socket.remoteAddress;
  if (client) headers['x-forwarded-for'] = client;
  return headers;
}

function connectUpstream(upstream: Upstream): Socket {
  return 'socketPath' in upstream ? connect(upstream.socketPath) : connect(upstream.port, upstream.host);
}

/** WebSockets: replay the upgrade request to the upstream, then splice the two sockets. */
function forwardUpgrade(upstream: Upstream, req: IncomingMessage, client: Duplex, head: Buffer): void {
  const server = connectUpstream(upstream);
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (const [name, value] of Object.entries(forwardedHeaders(req)))
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  server.once('connect', () => {
    server.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) server.write(head);
    server.pipe(client).pipe(server);
  });
  const close = () => {
    server.destroy();
    client.destroy();
  };
  server.once('error', close);
  client.once('error', close);
  server.once('close', close);
  client.once('close', close);
}

/** Starts the front in the current network namespace. */
export async function startTlsTerminator(options: TerminatorOptions): Promise<RunningTerminator> {
  const { upstream } = options;
  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const target = 'socketPath' in upstream ? { socketPath: upstream.socketPath } : upstream;
    const proxied = request(
      { ...target, method: req.method, path: req.url, headers: forwardedHeaders(req) },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
        up.once('error', () => res.destroy());
      },
    );
    proxied.once('error', (error) => {
      if (res.headersSent) return void res.destroy();
      res
        .writeHead(502, { 'content-type': 'text/plain' })
        .end(`tls-terminator: upstream failed: ${error.message}\n`);
    });
    req.pipe(proxied);
    res.once('close', () => {
      if (!res.writableFinished) proxied.destroy();
    });
  };
  let server: Server;
  if (options.tls === false) server = createHttpServer(handler);
  else
    server = createHttpsServer(
      options.certificate ?? (await selfSignedCertificate(options.names ?? [])),
      handler,
    );
  server.on('upgrade', (req, socket, head) => forwardUpgrade(upstream, req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.listen.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
