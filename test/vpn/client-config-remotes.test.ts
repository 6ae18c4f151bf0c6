/**
 * The agent's `.ovpn` names every live, non-draining gateway of the pool (`remote` lines and
 * `remote-random`), and falls back to this gateway's own remote; the legacy template keeps its one
 * GATEWAY_FQDN placeholder.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_REMOTES,
  remotesOf,
  renderInlineOvpn,
  renderLegacyVpnConfig,
} from '../../gateway/vpn/client-config.ts';

const material = {
  caCertPem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  certPem: '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n',
  keyPem: 'KEY\n',
  tlsCryptKey: 'STATIC\n',
};
const base = { proto: 'udp' as const, port: 1194, serverCommonName: 'gw', remoteHost: 'gw1.example.com' };
const remoteLines = (ovpn: string) => ovpn.split('\n').filter((l) => /^remote(-random)?( |$)/.test(l));

describe('remotesOf (pool members -> remote entries)', () => {
  const member = (vpnRemote: string | null, draining = false) => ({ vpnRemote, draining });

  it('keeps live members that are not draining, with the default port where none is given', () => {
    expect(
      remotesOf(
        [member('gw1.example.com'), member('gw2.example.com:1195'), member('gw3.example.com', true)],
        1194,
      ),
    ).toEqual([
      { host: 'gw1.example.com', port: 1194 },
      { host: 'gw2.example.com', port: 1195 },
    ]);
  });

  it('leaves out members without a VPN, malformed remotes and duplicates', () => {
    expect(
      remotesOf(
        [
          member(null),
          member('gw1.example.com\nup /bin/sh'),
          member('gw1 x'),
          member('gw1.example.com:99999'),
          member('203.0.113.7'),
          member('203.0.113.7:1194'),
        ],
        1194,
      ),
    ).toEqual([{ host: '203.0.113.7', port: 1194 }]);
  });

  it(`keeps at most ${MAX_REMOTES} entries (OpenVPN's limit of connection entries)`, () => {
    const many = Array.from({ length: MAX_REMOTES + 10 }, (_, i) => member(`gw${i}.example.com`));
    expect(remotesOf(many, 1194)).toHaveLength(MAX_REMOTES);
  });
});

describe('renderInlineOvpn with the pool', () => {
  it('lists every remote and adds remote-random', () => {
    const ovpn = renderInlineOvpn(material, {
      ...base,
      remotes: [
        { host: 'gw1.example.com', port: 1194 },
        { host: 'gw2.example.com', port: 1194 },
        { host: '203.0.113.9', port: 1195 },
      ],
    });
    expect(remoteLines(ovpn)).toEqual([
      'remote gw1.example.com 1194',
      'remote gw2.example.com 1194',
      'remote 203.0.113.9 1195',
      'remote-random',
    ]);
  });

  it('one live gateway: its remote alone, no remote-random', () => {
    const ovpn = renderInlineOvpn(material, { ...base, remotes: [{ host: 'gw2.example.com', port: 1194 }] });
    expect(remoteLines(ovpn)).toEqual(['remote gw2.example.com 1194']);
  });

  it('falls back to its own remote when the pool is unknown or empty', () => {
    for (const remotes of [undefined, []])
      expect(remoteLines(renderInlineOvpn(material, { ...base, remotes }))).toEqual([
        'remote gw1.example.com 1194',
      ]);
  });

  it('leaves a silent gateway after 5 s (server-poll-timeout), in both shapes', () => {
    expect(renderInlineOvpn(material, base).split('\n')).toContain('server-poll-timeout 5');
    const legacy = renderLegacyVpnConfig(material, { proto: 'udp', port: 1194, serverCommonName: 'gw' });
    expect(legacy.config.split('\n')).toContain('server-poll-timeout 5');
  });

  it('refuses an injected remote', () => {
    expect(() =>
      renderInlineOvpn(material, { ...base, remotes: [{ host: 'gw2\nup /bin/sh', port: 1194 }] }),
    ).toThrow();
    expect(() => renderInlineOvpn(material, { ...base, remotes: [{ host: 'gw2', port: 0 }] })).toThrow();
  });

  it('leaves the legacy template with its one GATEWAY_FQDN placeholder', () => {
    const legacy = renderLegacyVpnConfig(material, {
      proto: 'udp',
      port: 1194,
      serverCommonName: 'gw',
      remotes: [
        { host: 'gw1.example.com', port: 1194 },
        { host: 'gw2.example.com', port: 1194 },
      ],
    });
    expect(remoteLines(legacy.config)).toEqual(['remote GATEWAY_FQDN 1194']);
  });
});
