/**
 * docs/stage1/: nginx, Caddy and HAProxy, each run from its checked-in configuration in front of a real
 * gateway (PUBLIC_SCHEME=https, default TRUSTED_PROXIES) and a real app, with certificates from a test CA
 * laid out as docs/certificates.md says (gateway.<domain>, and a wildcard for one organisation). Through
 * each: the gateway host serves the control endpoints (a container registers through it), a container
 * host reaches the app with Host kept, X-Forwarded-Proto https and the client's forged X-Forwarded-*
 * replaced, a WebSocket echoes, and plain http redirects to https.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as plainRequest } from 'node:http';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { freePort } from '../support/ports.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { type RunningStage1, type Stage1Kind, startStage1 } from './stage1-servers.ts';
import { makeTestCa, type TestCa } from './test-ca.ts';

const DOMAIN = 'example.test';
const ORG = 'acme';
const GATEWAY_HOST = `gateway.${DOMAIN}`;

/** Every name resolves to loopback (no /etc/hosts edits). */
const lookup: LookupFunction = (_host, options, callback) => {
  if (options.all)
    (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
      { address: '127.0.0.1', family: 4 },
    ]);
  else callback(null, '127.0.0.1', 4);
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  san: string;
}

function https(
  ca: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { ca, lookup, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const san = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname ?? '';
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, san }));
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

function plainGet(url: string) {
  return new Promise<{ status: number; location?: string }>((resolve, reject) => {
    plainRequest(url, { lookup }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    })
      .once('error', reject)
      .end();
  });
}

const LOCAL_TRUST = '/usr/local/share/ca-certificates';
const trustedLocally = () => (existsSync(LOCAL_TRUST) ? readdirSync(LOCAL_TRUST).sort() : []);
const trustedBefore = trustedLocally();

let work: string;
let ca: TestCa;
let up: TestUpstream;
let gw: GatewayProcess;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dg-docs-stage1-'));
  ca = makeTestCa(work, { gateway: [GATEWAY_HOST], [`org-${ORG}`]: [`*.org-${ORG}.${DOMAIN}`] });
  // nginx loads a certificate named by a variable in its worker (an unprivileged user), at each
  // handshake: the files must be readable by that user (docs/certificates.md says so too).
  for (const d of [work, ca.splitDir]) chmodSync(d, 0o755);
  for (const f of readdirSync(ca.splitDir)) chmodSync(join(ca.splitDir, f), 0o644);
  up = await startUpstream();
  gw = await startGateway('node', { DOMAIN, GATEWAY_FQDN: GATEWAY_HOST, PUBLIC_SCHEME: 'https' });
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(['nginx', 'caddy', 'haproxy'] as Stage1Kind[])('docs/stage1: %s', (kind) => {
  const container = `${kind}1`;
  const host = `uc-${container}.org-${ORG}.${DOMAIN}`;
  let front: RunningStage1;
  let base: (name: string) => string;
  let httpPort: number;

  beforeAll(async () => {
    const httpsPort = await freePort();
    httpPort = await freePort();
    const settings = { domain: DOMAIN, httpsPort, httpPort, gateway: `127.0.0.1:${gw.port}` };
    front = await startStage1(kind, join(work, kind), {
      ...settings,
      splitDir: ca.splitDir,
      bundleDir: ca.bundleDir,
      adminPort: await freePort(),
    });
    base = (name) => `https://${name}:${httpsPort}`;
  });
  afterAll(async () => {
    await front?.stop();
  });

  it("leaves the machine's trust store alone", () => {
    // Caddy installs its local CA's root there unless told not to (skip_install_trust).
    expect(trustedLocally()).toEqual(trustedBefore);
  });

  it('serves the gateway host: health, and a container registering through it', async () => {
    const health = await https(ca.ca, `${base(GATEWAY_HOST)}/healthz`);
    expect(health.status, front.output()).toBe(200);
    expect(health.san).toBe(`DNS:${GATEWAY_HOST}`);
    const token = await gw.token(container, 'p1', ORG);
    const event = { event: { type: 'user-container:map-http-service', name: 'web', port: up.port } };
    for (const body of [JSON.stringify(event), '{"event":{"type":"user-container:watchdog","system":{}}}']) {
      const answer = await https(ca.ca, `${base(GATEWAY_HOST)}/collab/event`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status, answer.body).toBe(200);
    }
  });

  it('reaches the app on a container host with X-Forwarded-Proto https and forged headers replaced', async () => {
    const answer = await https(ca.ca, `${base(host)}/echo?q=1`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' },
    });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.san).toBe(`DNS:*.org-${ORG}.${DOMAIN}`);
    const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/echo?q=1');
    // Host as the client sent it (nginx's $host drops a non-default port; Caddy and HAProxy keep it).
    expect(seen.headers.host).toMatch(new RegExp(`^${host.replaceAll('.', '\\.')}(:\\d+)?$`));
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    // Stage 1 saw 127.0.0.1; the gateway adds its peer (Stage 1, trusted), never the forged entry.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1, 127.0.0.1');
  });

  it('relays a WebSocket on a service host', async () => {
    const ws = new WebSocket(
      `wss://uc-${container}--web.org-${ORG}.${DOMAIN}:${new URL(base(host)).port}/ws`,
      {
        ca: ca.ca,
        lookup,
      },
    );
    const echoed = new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hello through stage 1'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(await echoed).toBe('hello through stage 1');
    expect(up.webSockets.at(-1)?.headers['x-forwarded-proto']).toBe('https');
    ws.close();
  });

  it('redirects plain http to https', async () => {
    const answer = await plainGet(`http://${host}:${httpPort}/x?y=1`);
    expect([301, 308]).toContain(answer.status);
    expect(answer.location).toMatch(new RegExp(`^https://${host.replaceAll('.', '\\.')}(:\\d+)?/x\\?y=1$`));
  });
});
