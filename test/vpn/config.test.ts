import { describe, expect, it } from 'vitest';
import { renderInlineOvpn, renderLegacyVpnConfig } from '../../gateway/vpn/client-config.ts';
import { renderServerConfig, type ServerConfigOptions } from '../../gateway/vpn/server-config.ts';
import { LegacyVpnConfig } from '../../shared/protocol.ts';

/** A placeholder, not a key (the label is split so no scanner mistakes it for one). */
const FAKE_KEY_LABEL = ['PRIVATE', 'KEY'].join(' ');

const serverOptions: ServerConfigOptions = {
  subnet: '172.16.0.0/16',
  proto: 'udp',
  port: 1194,
  listen: '10.250.0.1',
  device: 'tun0',
  ca: '/var/lib/dg/vpn/ca.crt',
  cert: '/var/lib/dg/vpn/server.crt',
  key: '/var/lib/dg/vpn/server.key',
  tlsCrypt: '/var/lib/dg/vpn/ta.key',
  crl: '/var/lib/dg/vpn/crl.pem',
  managementSocket: '/run/dg/management.sock',
  verb: 3,
};

const material = {
  caCertPem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  certPem: '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----',
  keyPem: `-----BEGIN ${FAKE_KEY_LABEL}-----\nKEY\n-----END ${FAKE_KEY_LABEL}-----\n`,
  tlsCryptKey: '-----BEGIN OpenVPN Static key V1-----\nabc\n-----END OpenVPN Static key V1-----\n',
};

describe('server.conf', () => {
  it('renders the directives OpenVPN needs for client auth by the gateway', () => {
    const lines = renderServerConfig(serverOptions).split('\n');
    for (const line of [
      'dev tun0',
      'topology subnet',
      'server 172.16.0.0 255.255.0.0 nopool',
      'proto udp',
      'port 1194',
      'local 10.250.0.1',
      'dh none',
      'tls-crypt /var/lib/dg/vpn/ta.key',
      'crl-verify /var/lib/dg/vpn/crl.pem',
      'remote-cert-tls client',
      'keepalive 5 12',
      'explicit-exit-notify 2',
      'management /run/dg/management.sock unix',
      'management-client-auth',
      'management-hold',
      'auth-user-pass-optional',
      'verb 3',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines).not.toContain('daemon');
  });

  it('renders TCP without the UDP-only exit notification', () => {
    const text = renderServerConfig({ ...serverOptions, proto: 'tcp-server', listen: undefined });
    expect(text).toContain('proto tcp-server\n');
    expect(text).not.toContain('explicit-exit-notify');
    expect(text).not.toContain('local ');
  });

  it('refuses values that would inject directives', () => {
    const bad: Partial<ServerConfigOptions>[] = [
      { crl: '/tmp/crl.pem\nscript-security 2' },
      { key: 'relative/key' },
      { listen: '10.0.0.1 1194\nup /bin/sh' },
      { managementSocket: '/tmp/m.sock" unix' },
      { port: 70000 },
      { device: 'tun0\nup x' },
      { subnet: '172.16.0.0/16\nup x' },
    ];
    for (const override of bad) {
      expect(() => renderServerConfig({ ...serverOptions, ...override })).toThrow(
        expect.objectContaining({ code: 'GW_ERR_BAD_CONFIG' }),
      );
    }
  });
});

describe('client config', () => {
  it('answers the legacy shape: four files and a template with GATEWAY_FQDN', () => {
    const answer = renderLegacyVpnConfig(material, {
      proto: 'udp',
      port: 1194,
      serverCommonName: 'demiurge-gateway',
    });
    expect(LegacyVpnConfig.strict().parse(answer)).toEqual(answer);
    expect(Object.keys(answer.certificates).sort()).toEqual([
      'ca.crt',
      'clients.crt',
      'clients.key',
      'ta.key',
    ]);
    expect(answer.certificates['clients.crt'].endsWith('\n')).toBe(true);
    expect(answer.config.startsWith('client\ndev tun\nproto udp\nremote GATEWAY_FQDN 1194\n')).toBe(true);
    const lines = answer.config.split('\n');
    for (const line of [
      'ca ca.crt',
      'cert clients.crt',
      'key clients.key',
      'tls-crypt ta.key',
      'remote-cert-tls server',
      'verify-x509-name demiurge-gateway name',
      'nobind',
      'connect-retry 1 1',
    ]) {
      expect(lines).toContain(line);
    }
    // The legacy client appends auth-user-pass and auth-nocache lines.
    expect(answer.config.endsWith('\n')).toBe(true);
  });

  it('says nothing about the gateway internals', () => {
    const answer = renderLegacyVpnConfig(material, {
      proto: 'tcp',
      port: 443,
      serverCommonName: 'demiurge-gateway',
    });
    expect(answer.config).toContain('proto tcp-client\n');
    expect(answer.config).not.toMatch(/\/|management|\bpid\b|local /i);
  });

  it('renders one inline .ovpn', () => {
    const ovpn = renderInlineOvpn(material, {
      proto: 'udp',
      port: 1194,
      serverCommonName: 'demiurge-gateway',
      remoteHost: '10.250.0.1',
    });
    expect(ovpn).toContain('remote 10.250.0.1 1194\n');
    expect(ovpn).toContain(`<cert>\n${material.certPem}\n</cert>\n`);
    expect(ovpn).toContain(`<ca>\n${material.caCertPem}</ca>\n`);
    expect(ovpn).toContain('<key>\n');
    expect(ovpn).toContain('<tls-crypt>\n');
    expect(ovpn).not.toMatch(/^(ca|cert|key|tls-crypt) /m);
  });

  it('refuses injected hosts, names and inline blocks', () => {
    const base = { proto: 'udp' as const, port: 1194, serverCommonName: 'gw' };
    expect(() => renderInlineOvpn(material, { ...base, remoteHost: 'x 1\nup /bin/sh' })).toThrow();
    expect(() => renderInlineOvpn(material, { ...base, serverCommonName: 'gw name\nup x' })).toThrow();
    expect(() => renderInlineOvpn({ ...material, keyPem: 'k</key>\nup /bin/sh\n<key>' }, base)).toThrow();
  });
});
