import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig } from '../../images/agent/config.ts';
import { EventPostError } from '../../images/agent/event-failure.ts';
import { createGatewayClient } from '../../images/agent/gateway-client.ts';
import { parseSettings } from '../../images/agent/settings.ts';
import { tlsFetchOptions } from '../../images/agent/tls.ts';
import { SETTINGS } from './fixtures.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
let server: Server;
let base: string;
let vpnStatus = 200;
let eventStatus = 200;

function settings() {
  const parsed = parseSettings(SETTINGS);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.settings;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/collab/vpn-config')) {
        res.writeHead(vpnStatus, { 'content-type': 'text/plain' });
        res.end(vpnStatus === 200 ? 'client\nremote gw 1194\n' : '{"error":{"code":"X","message":"no"}}');
      } else if (req.url === '/collab/event') {
        res.writeHead(eventStatus, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('agentConfig', () => {
  it('defaults to https://<gateway_fqdn> and the gateway VPN address for events', () => {
    const result = agentConfig(settings(), {});
    expect(result.ok && result.config).toMatchObject({
      vpnConfigUrl: 'https://org-42.example.com/collab/vpn-config?format=ovpn',
      eventsUrl: 'http://172.16.0.1/collab/event',
      pingUrl: 'http://172.16.0.1/healthz',
      vpnPassword: 'raw.jwt.token',
      tls: { insecure: false },
      tunDevice: 'tun0',
    });
  });

  it('names a bad environment variable', () => {
    expect(agentConfig(settings(), { DEMIURGE_GATEWAY_URL: 'ftp://x' })).toMatchObject({
      ok: false,
      field: 'DEMIURGE_GATEWAY_URL',
    });
    expect(agentConfig(settings(), { DEMIURGE_INSECURE_TLS: 'yes' })).toMatchObject({
      ok: false,
      field: 'DEMIURGE_INSECURE_TLS',
    });
    expect(agentConfig(settings(), { DEMIURGE_GATEWAY_CA: '/nonexistent/ca.pem' })).toMatchObject({
      ok: false,
      field: 'DEMIURGE_GATEWAY_CA',
    });
  });

  it('verifies TLS by default, pins a CA when given, and skips only with the explicit flag', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const pinned = agentConfig(settings(), { DEMIURGE_GATEWAY_CA: pem });
    expect(pinned.ok && tlsFetchOptions(pinned.config.tls)).toEqual({
      tls: { ca: pem, rejectUnauthorized: true },
    });
    const plain = agentConfig(settings(), {});
    expect(plain.ok && tlsFetchOptions(plain.config.tls)).toEqual({});
    const insecure = agentConfig(settings(), { DEMIURGE_INSECURE_TLS: '1' });
    expect(insecure.ok && tlsFetchOptions(insecure.config.tls)).toEqual({
      tls: { rejectUnauthorized: false },
    });
  });
});

describe('createGatewayClient against a local server', () => {
  const client = () => {
    const result = agentConfig(settings(), {
      DEMIURGE_GATEWAY_URL: `${base}/`,
      DEMIURGE_EVENTS_URL: `${base}/collab/event`,
    });
    if (!result.ok) throw new Error(result.message);
    return createGatewayClient(result.config);
  };

  it('fetches the inline ovpn with the raw token as Authorization', async () => {
    seen.length = 0;
    vpnStatus = 200;
    expect(await client().fetchOvpn()).toBe('client\nremote gw 1194\n');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/collab/vpn-config?format=ovpn' });
    expect(seen[0]?.headers.authorization).toBe('raw.jwt.token');
  });

  it('refuses an error answer instead of treating it as a config', async () => {
    vpnStatus = 503;
    await expect(client().fetchOvpn()).rejects.toThrow('vpn-config answered 503');
    vpnStatus = 200;
  });

  it('posts events as JSON with the raw token, and times a round trip', async () => {
    seen.length = 0;
    await client().postEvent({
      event: { type: 'user-container:map-http-service', name: 'terminal', port: 7681 },
      project_id: 'proj-1',
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/collab/event' });
    expect(seen[0]?.headers.authorization).toBe('raw.jwt.token');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      event: { type: 'user-container:map-http-service', name: 'terminal', port: 7681 },
      project_id: 'proj-1',
    });
    const rtt = await client().measureRoundTrip();
    expect(typeof rtt).toBe('number');
    expect(seen.at(-1)?.url).toBe('/healthz');
  });

  it('types a failed post: 503 is worth retrying soon, 401 is not, a closed port is refused', async () => {
    const failure = (post: Promise<void>) =>
      post.then(
        () => undefined,
        (e: unknown) => e as EventPostError,
      );
    const body = { event: { type: 'user-container:watchdog' as const } };
    eventStatus = 503;
    expect(await failure(client().postEvent(body))).toMatchObject({ kind: 'unavailable', retryable: true });
    eventStatus = 401;
    expect(await failure(client().postEvent(body))).toMatchObject({ kind: 'refusal', retryable: false });
    eventStatus = 200;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const config = agentConfig(settings(), {
      DEMIURGE_EVENTS_URL: `http://127.0.0.1:${closedPort}/collab/event`,
    });
    if (!config.ok) throw new Error(config.message);
    const refused = await failure(createGatewayClient(config.config).postEvent(body));
    expect(refused).toBeInstanceOf(EventPostError);
    expect(refused).toMatchObject({ kind: 'refused', retryable: true });
  });
});
