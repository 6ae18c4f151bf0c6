import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCrl } from '../../gateway/vpn/crl.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from '../../gateway/vpn/pki.ts';
import { normaliseSerial } from '../../gateway/vpn/pki-keys.ts';
import { generateTlsCryptKey, isTlsCryptKey } from '../../gateway/vpn/tls-crypt.ts';
import { x509 } from '../../gateway/vpn/x509.ts';
import { requireCommand } from '../support/prerequisites.ts';

const KU = x509.KeyUsageFlags;

function extensionsOf(pem: string) {
  const cert = new x509.X509Certificate(pem);
  return {
    cert,
    basic: cert.getExtension(x509.BasicConstraintsExtension),
    ku: cert.getExtension(x509.KeyUsagesExtension),
    eku: cert.getExtension(x509.ExtendedKeyUsageExtension),
  };
}

describe('pki', () => {
  let ca: CertificateAuthority;
  let dir: string;
  beforeAll(async () => {
    ca = await createCertificateAuthority();
    dir = mkdtempSync(join(tmpdir(), 'dg-pki-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a CA that may sign certificates and CRLs', () => {
    const { cert, basic, ku } = extensionsOf(ca.certPem);
    expect(basic?.ca).toBe(true);
    expect(ku?.usages).toBe(KU.keyCertSign | KU.cRLSign);
    expect(cert.subject).toBe(cert.issuer);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE[ ]KEY-----\n[\s\S]+-----END PRIVATE[ ]KEY-----\n$/);
  });

  it('issues a server certificate for serverAuth only', async () => {
    const server = await issueServerCertificate(ca, 'demiurge-gateway');
    const { cert, basic, ku, eku } = extensionsOf(server.certPem);
    expect(cert.subject).toBe('CN=demiurge-gateway');
    expect(basic?.ca).toBe(false);
    expect(ku?.usages).toBe(KU.digitalSignature | KU.keyEncipherment);
    expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(await cert.verify({ publicKey: new x509.X509Certificate(ca.certPem).publicKey })).toBe(true);
  });

  it('issues a client certificate per container: CN, clientAuth, serial reported', async () => {
    const client = await issueClientCertificate(ca, 'uc_abc123');
    const { cert, ku, eku } = extensionsOf(client.certPem);
    expect(cert.subject).toBe('CN=uc_abc123');
    expect(ku?.usages).toBe(KU.digitalSignature);
    expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(normaliseSerial(cert.serialNumber)).toBe(client.serialHex);
    expect(client.notAfter.getTime()).toBe(cert.notAfter.getTime());
    expect(client.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(client.keyPem).toMatch(/-----BEGIN PRIVATE[ ]KEY-----/);
  });

  it('gives every certificate its own serial', async () => {
    const issued = await Promise.all(Array.from({ length: 20 }, () => issueClientCertificate(ca, 'c1')));
    expect(new Set(issued.map((c) => c.serialHex)).size).toBe(20);
  });

  it('refuses a common name that would need escaping', async () => {
    await expect(issueClientCertificate(ca, 'a,b=c')).rejects.toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
    await expect(issueClientCertificate(ca, 'x\nremote evil')).rejects.toThrow(/common name/);
  });

  it('writes a CRL with the X509 CRL label that OpenSSL accepts and that revokes the serial', async () => {
    requireCommand('openssl', 'openssl');
    const client = await issueClientCertificate(ca, 'c2');
    const crl = await buildCrl(ca, [client.serialHex.replace(/(..)(?!$)/g, '$1:').toUpperCase()]);
    expect(crl).toMatch(/^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    const parsed = new x509.X509Crl(crl);
    expect(parsed.entries.map((e) => normaliseSerial(e.serialNumber))).toEqual([client.serialHex]);
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'crl.pem'), crl);
    writeFileSync(join(dir, 'client.pem'), client.certPem);
    const verify = (extra: string[]) =>
      execFileSync('openssl', ['verify', ...extra, '-CAfile', join(dir, 'ca.pem'), join(dir, 'client.pem')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(verify([])).toContain('OK');
    expect(() => verify(['-crl_check', '-CRLfile', join(dir, 'crl.pem')])).toThrow(/revoked/);
  });

  it('generates tls-crypt keys in the OpenVPN static key format', () => {
    const key = generateTlsCryptKey();
    expect(isTlsCryptKey(key)).toBe(true);
    const body = key.split('\n').filter((l) => /^[0-9a-f]{32}$/.test(l));
    expect(body).toHaveLength(16);
    expect(
      key.startsWith('#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n'),
    ).toBe(true);
    expect(generateTlsCryptKey()).not.toBe(key);
  });
});
