import { describe, expect, it } from 'vitest';
import { describeSettingsError, parseSettings } from '../../images/agent/settings.ts';

const GOOD = {
  user_id: '6f1c2a7e-0000-4000-8000-000000000001',
  frontend_fqdn: 'app.example.com',
  ganymede_fqdn: 'api.example.com',
  gateway_fqdn: 'org-42.example.com:8443',
  token: 'eyJhbGciOiJSUzI1NiJ9.e30.sig',
  project_id: '6f1c2a7e-0000-4000-8000-000000000002',
  user_container_id: 'uc_k3x9',
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const errorOf = (raw: string | undefined) => {
  const result = parseSettings(raw);
  if (result.ok) throw new Error('expected a settings error');
  return result.error;
};

describe('parseSettings', () => {
  it('accepts valid settings and ignores extra fields', () => {
    const result = parseSettings(encode({ ...GOOD, something_new: 1 }));
    expect(result).toEqual({ ok: true, settings: GOOD });
  });

  it('accepts base64 wrapped at 76 columns, as `base64` prints it', () => {
    const wrapped = encode(GOOD).replace(/(.{76})/g, '$1\n');
    expect(parseSettings(wrapped).ok).toBe(true);
  });

  it('keeps the optional vpn_secret and pinned gateway_ca', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const result = parseSettings(encode({ ...GOOD, vpn_secret: 'a'.repeat(32), gateway_ca: ca }));
    expect(result.ok && result.settings.gateway_ca).toBe(ca);
    expect(result.ok && result.settings.vpn_secret).toBe('a'.repeat(32));
  });

  it.each([
    ['missing', undefined, 'is not set'],
    ['empty', '', 'is not set'],
    ['not base64', 'not base64!', 'is not base64'],
    ['base64 of a bad length', 'abcde', 'is not base64'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0xfd]).toString('base64'), 'does not decode to UTF-8 text'],
    ['not JSON', Buffer.from('{user_id:').toString('base64'), 'does not decode to JSON'],
    ['a JSON array', encode([GOOD]), 'does not decode to a JSON object'],
    ['JSON null', encode(null), 'does not decode to a JSON object'],
    ['too long', 'A'.repeat(70_000), 'is longer than 65536 characters'],
  ])('refuses a SETTINGS value that is %s', (_case, raw, message) => {
    expect(errorOf(raw)).toEqual({ field: 'SETTINGS', message });
  });

  it.each(Object.keys(GOOD))('names the missing field %s', (field) => {
    const partial: Record<string, unknown> = { ...GOOD };
    delete partial[field];
    expect(errorOf(encode(partial))).toEqual({ field, message: 'is missing' });
  });

  it.each([
    ['user_id', ''],
    ['frontend_fqdn', 7],
    ['ganymede_fqdn', null],
    ['gateway_fqdn', 'evil.example.com/path'],
    ['gateway_fqdn', 'host:port'],
    ['token', ''],
    ['project_id', '../etc'],
    ['user_container_id', 'uc abc'],
    ['user_container_id', 'x'.repeat(61)],
    ['vpn_secret', 42],
    ['gateway_ca', 'not a certificate'],
  ])('names the invalid field %s (%j)', (field, value) => {
    const error = errorOf(encode({ ...GOOD, [field]: value }));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/^is invalid: /);
  });

  it('describes an error in one line naming the field', () => {
    const line = describeSettingsError({ field: 'token', message: 'is missing' });
    expect(line).toBe('demiurge-agent: SETTINGS field "token" is missing');
    expect(describeSettingsError({ field: 'SETTINGS', message: 'is not set' })).toBe(
      'demiurge-agent: SETTINGS is not set',
    );
  });
});
