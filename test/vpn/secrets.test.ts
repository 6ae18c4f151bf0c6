import { describe, expect, it } from 'vitest';
import { generateSecretsKey, parseSecretsKey, SecretBox } from '../../gateway/vpn/secrets.ts';

describe('secrets at rest', () => {
  it('round-trips through a versioned envelope that hides the plaintext', async () => {
    const box = await SecretBox.fromSecretsKey(generateSecretsKey());
    const sealed = await box.seal('a private key in PEM', 'vpn-pki');
    expect(sealed).toMatch(/^dgsecret:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('PRIVATE');
    expect(await box.open(sealed, 'vpn-pki')).toBe('a private key in PEM');
    expect(await box.seal('same', 'vpn-pki')).not.toBe(await box.seal('same', 'vpn-pki'));
  });

  it('refuses to open with a different key, with an error naming SECRETS_KEY', async () => {
    const sealed = await (await SecretBox.fromSecretsKey(generateSecretsKey())).seal('secret', 'vpn-pki');
    const other = await SecretBox.fromSecretsKey(generateSecretsKey());
    await expect(other.open(sealed, 'vpn-pki')).rejects.toMatchObject({
      code: 'GW_ERR_BAD_CONFIG',
      message: expect.stringContaining('SECRETS_KEY'),
    });
  });

  it('binds the purpose and rejects tampering and unknown envelopes', async () => {
    const box = await SecretBox.fromSecretsKey(generateSecretsKey());
    const sealed = await box.seal('secret', 'vpn-pki');
    await expect(box.open(sealed, 'other')).rejects.toMatchObject({ code: 'GW_ERR_BAD_CONFIG' });
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(box.open(tampered, 'vpn-pki')).rejects.toMatchObject({ code: 'GW_ERR_BAD_CONFIG' });
    await expect(box.open('dgsecret:v0:abc:def', 'vpn-pki')).rejects.toThrow(/envelope/);
  });

  it('accepts 32-byte keys as hex or base64 and refuses anything else', () => {
    expect(parseSecretsKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseSecretsKey(generateSecretsKey())).toHaveLength(32);
    for (const bad of [undefined, '', 'ab'.repeat(16), 'not a key', btoa('short')]) {
      expect(() => parseSecretsKey(bad)).toThrow(/SECRETS_KEY/);
    }
  });
});
