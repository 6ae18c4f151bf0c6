/** The request header scan: reserved names in any spelling, untrusted forwarding facts, Connection listings. */
import { describe, expect, it } from 'vitest';
import { type ForwardContext, scanRequestHeaders } from '../../gateway/proxy/headers.ts';
import { RequestIds } from '../../gateway/proxy/request-ids.ts';

const untrusted: ForwardContext = {
  clientAddress: '198.51.100.7',
  trustedPeer: false,
  keepUnderscores: false,
  ids: new RequestIds(),
};
const trusted: ForwardContext = { ...untrusted, clientAddress: '127.0.0.1', trustedPeer: true };

/** The forwarded headers as a name -> values map (lowercase names). */
function forwarded(raw: string[], ctx = untrusted): Map<string, string[]> {
  const { headers } = scanRequestHeaders(raw, ctx);
  const out = new Map<string, string[]>();
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    out.set(name, [...(out.get(name) ?? []), headers[i + 1] as string]);
  }
  return out;
}

const HOST = ['Host', 'uc-c1.org-o1.localhost'];

describe('request header scan', () => {
  it('drops identity headers however they are spelled, and every name with "_" by default', () => {
    const spellings = [
      'X_Forwarded_User',
      'X-Forwarded_User',
      'Remote_User',
      'X-Demiurge_Assertion',
      'X-Forwarded-Preferred_Username',
      'X-FORWARDED-USER',
      'x-demiurge-anything',
      'X-Auth-Request-User',
      'X-Auth-Request-Groups',
      'X-Remote-User',
      'X-Remote-Group',
      'X-WEBAUTH-USER',
      'X-Webauth-Email',
      'Remote-User',
      'Remote-Groups',
      'Cf-Access-Jwt-Assertion',
      'X-Pomerium-Claim-Email',
      'X-Goog-Authenticated-User-Email',
      'X-Amzn-Oidc-Identity',
      'X-MS-CLIENT-PRINCIPAL-NAME',
      'X_Custom',
    ];
    const raw = [...HOST, ...spellings.flatMap((name) => [name, 'mallory'])];
    const scanned = scanRequestHeaders(raw, untrusted);
    const names = [...forwarded(raw).keys()];
    for (const name of spellings) expect(names).not.toContain(name.toLowerCase());
    expect(scanned.dropped).toEqual(spellings.map((n) => n.toLowerCase()));
  });

  it('with UNDERSCORE_HEADERS=keep forwards "_" names, but never one that spells a reserved or framing name', () => {
    const ctx = { ...untrusted, keepUnderscores: true };
    const raw = [
      ...HOST,
      'X_Custom',
      'kept',
      'X_Forwarded_User',
      'mallory',
      'x-forwarded_for',
      '1.2.3.4',
      'Content_Length',
      '5',
      'Transfer_Encoding',
      'chunked',
      'Ho_st',
      'x',
      'Cookie_',
      'x',
      'X_Auth_Request_Email',
      'm@example.com',
    ];
    const out = forwarded(raw, ctx);
    expect(out.get('x_custom')).toEqual(['kept']);
    expect(out.get('ho_st')).toEqual(['x']);
    expect(out.get('cookie_')).toEqual(['x']);
    for (const name of ['x_forwarded_user', 'x-forwarded_for', 'content_length', 'transfer_encoding'])
      expect(out.has(name)).toBe(false);
    expect(out.has('x_auth_request_email')).toBe(false);
    expect(out.get('x-forwarded-for')).toEqual(['198.51.100.7']);
  });

  it('never lets a Connection listing remove Host, Content-Length or what the gateway sets', () => {
    const raw = [
      ...HOST,
      'Connection',
      'close, Host, Content-Length, X-Forwarded-For, X-Real-IP, X-Forwarded-Host, X-Secret',
      'Content-Length',
      '3',
      'X-Secret',
      's',
    ];
    const out = forwarded(raw);
    expect(out.get('host')).toEqual(['uc-c1.org-o1.localhost']);
    expect(out.get('content-length')).toEqual(['3']);
    expect(out.get('x-forwarded-for')).toEqual(['198.51.100.7']);
    expect(out.get('x-real-ip')).toEqual(['198.51.100.7']);
    expect(out.get('x-forwarded-host')).toEqual(['uc-c1.org-o1.localhost']);
    expect(out.has('x-secret')).toBe(false);
  });

  it('replaces and drops forwarding facts from an untrusted peer, keeps and extends a trusted one', () => {
    const raw = [
      ...HOST,
      'X-Forwarded-For',
      '6.6.6.6',
      'X-Forwarded-Proto',
      'https',
      'X-Forwarded-Port',
      '443',
      'X-Forwarded-Prefix',
      '/admin',
      'X-Forwarded-Server',
      'evil',
      'X-Original-URL',
      '/admin',
      'X-Rewrite-URL',
      '/admin',
      'True-Client-IP',
      '6.6.6.6',
      'X-Real-IP',
      '6.6.6.6',
      'Forwarded',
      'for=6.6.6.6',
    ];
    const fromUntrusted = forwarded(raw);
    expect(fromUntrusted.get('x-forwarded-for')).toEqual(['198.51.100.7']);
    expect(fromUntrusted.get('x-forwarded-proto')).toEqual(['http']);
    for (const name of [
      'x-forwarded-port',
      'x-forwarded-prefix',
      'x-forwarded-server',
      'x-original-url',
      'x-rewrite-url',
      'true-client-ip',
      'forwarded',
    ])
      expect(fromUntrusted.has(name), name).toBe(false);
    expect(fromUntrusted.get('x-real-ip')).toEqual(['198.51.100.7']);

    const fromTrusted = forwarded(raw, trusted);
    expect(fromTrusted.get('x-forwarded-for')).toEqual(['6.6.6.6, 127.0.0.1']);
    expect(fromTrusted.get('x-forwarded-proto')).toEqual(['https']);
    expect(fromTrusted.get('x-forwarded-port')).toEqual(['443']);
    expect(fromTrusted.get('x-original-url')).toEqual(['/admin']);
    expect(fromTrusted.get('x-real-ip')).toEqual(['127.0.0.1']);
    expect(fromTrusted.has('forwarded')).toBe(false);
  });

  it('drops the upgrade headers of a plain request and says an Upgrade was sent', () => {
    const raw = [
      ...HOST,
      'Connection',
      'Upgrade, HTTP2-Settings',
      'Upgrade',
      'h2c',
      'HTTP2-Settings',
      'AAMA',
    ];
    const scanned = scanRequestHeaders(raw, untrusted);
    expect(scanned.upgrade).toBe(true);
    const out = forwarded(raw);
    for (const name of ['upgrade', 'connection', 'http2-settings']) expect(out.has(name)).toBe(false);
    expect(scanRequestHeaders(HOST, untrusted).upgrade).toBe(false);
  });
});
