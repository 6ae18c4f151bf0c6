import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VpnPki } from '../../gateway/vpn/pki-service.ts';
import { generateSecretsKey, SecretBox } from '../../gateway/vpn/secrets.ts';
import { isTlsCryptKey } from '../../gateway/vpn/tls-crypt.ts';
import { MemoryVpnState } from '../../gateway/vpn/vpn-state-memory.ts';
import { x509 } from '../../gateway/vpn/x509.ts';

const dir = mkdtempSync(join(tmpdir(), 'dg-vpnpki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('VpnPki', () => {
  it('creates the PKI once and reuses it from the store (restart, second gateway)', async () => {
    const state = new MemoryVpnState();
    const key = generateSecretsKey();
    const [a, b] = await Promise.all([
      VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(key) }),
      VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(key) }),
    ]);
    expect(b.caCertPem).toBe(a.caCertPem);
    expect(b.tlsCryptKey).toBe(a.tlsCryptKey);
    const again = await VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(key) });
    expect(again.caCertPem).toBe(a.caCertPem);
    expect(again.serverCommonName).toBe('demiurge-gateway');
    expect(isTlsCryptKey(a.tlsCryptKey)).toBe(true);
    const stored = (await state.loadPki()) ?? '';
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain('Static key');
  });

  it('fails clearly when SECRETS_KEY changed', async () => {
    const state = new MemoryVpnState();
    await VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(generateSecretsKey()) });
    await expect(
      VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(generateSecretsKey()) }),
    ).rejects.toThrow(/SECRETS_KEY/);
  });

  it('accepts only the newest serial and refuses revoked containers', async () => {
    const state = new MemoryVpnState();
    const pki = await VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(generateSecretsKey()) });
    const first = await pki.issueClientCertificate('c1');
    const second = await pki.issueClientCertificate('c1');
    const colon = (hex: string) => hex.replace(/(..)(?!$)/g, '$1:');
    expect(await pki.isCurrentSerial('c1', colon(second.serialHex))).toBe(true);
    expect(await pki.isCurrentSerial('c1', first.serialHex)).toBe(false);
    expect(await pki.isCurrentSerial('c2', second.serialHex)).toBe(false);
    expect(await pki.isCurrentSerial('c1', '')).toBe(false);

    const files = await pki.writeServerFiles(join(dir, 'server'));
    expect(statSync(files.key).mode & 0o777).toBe(0o600);
    expect(statSync(files.tlsCrypt).mode & 0o777).toBe(0o600);
    expect(new x509.X509Crl(readFileSync(files.crl, 'utf8')).entries).toHaveLength(0);

    expect(await pki.revoke('c1', files.crl)).toEqual([second.serialHex]);
    const crl = new x509.X509Crl(readFileSync(files.crl, 'utf8'));
    expect(crl.entries).toHaveLength(1);
    expect(await pki.isCurrentSerial('c1', second.serialHex)).toBe(false);
    await expect(pki.issueClientCertificate('c1')).rejects.toMatchObject({ code: 'GW_ERR_FORBIDDEN' });
  });
});
