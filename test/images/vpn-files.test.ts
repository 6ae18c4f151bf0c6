import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOvpn, writeVpnFiles } from '../../images/agent/vpn-files.ts';

const OVPN = `client
dev tun
proto udp
remote org-42.example.com 1194
nobind
remote-cert-tls server
<ca>
-----BEGIN CERTIFICATE-----
cd /etc
-----END CERTIFICATE-----
</ca>
<tls-crypt>
up /bin/sh
</tls-crypt>
`;

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'dg-vpnfiles-'));
});
afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

describe('checkOvpn', () => {
  it('accepts an inline config (block bodies are not directives)', () => {
    expect(checkOvpn(OVPN)).toBeUndefined();
  });

  it.each([
    'up /tmp/x.sh',
    'script-security 2',
    'plugin /lib/evil.so',
    'ca /etc/ssl/ca.pem',
    'log /etc/passwd',
    '--cd /',
  ])('refuses the directive in "%s"', (line) => {
    expect(checkOvpn(`${OVPN}${line}\n`)).toMatch(/^the config uses the directive/);
  });

  it('refuses a config without a remote, or with an unclosed block', () => {
    expect(checkOvpn('client\ndev tun\n')).toBe('the config names no remote');
    expect(checkOvpn('client\nremote a 1\n<ca>\nxx\n')).toBe('the inline block <ca> is not closed');
  });
});

describe('writeVpnFiles', () => {
  it('writes the config and credentials 0600 in a fresh 0700 directory', () => {
    const files = writeVpnFiles(OVPN, { username: 'uc_k3x9', password: 's3cret' }, parent);
    expect(dirname(files.configPath)).toBe(files.dir);
    expect(dirname(files.dir)).toBe(parent);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(statSync(files.configPath).mode & 0o777).toBe(0o600);
    const credentials = join(files.dir, 'vpn-credentials');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(readFileSync(credentials, 'utf8')).toBe('uc_k3x9\ns3cret\n');
    const config = readFileSync(files.configPath, 'utf8');
    expect(config.startsWith(OVPN)).toBe(true);
    expect(config.endsWith(`auth-user-pass ${credentials}\nauth-nocache\n`)).toBe(true);
    files.dispose();
    expect(existsSync(files.dir)).toBe(false);
  });

  it('uses a new directory per attempt', () => {
    const a = writeVpnFiles(OVPN, { username: 'u', password: 'p' }, parent);
    const b = writeVpnFiles(OVPN, { username: 'u', password: 'p' }, parent);
    expect(a.dir).not.toBe(b.dir);
  });

  it('writes nothing for a refused config', () => {
    expect(() =>
      writeVpnFiles('client\nup /x\nremote a 1\n', { username: 'u', password: 'p' }, parent),
    ).toThrow(/directive "up"/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
