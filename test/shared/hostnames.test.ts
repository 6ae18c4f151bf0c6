import { describe, expect, it } from 'vitest';
import { ErrorCode, type GatewayError } from '../../shared/errors.ts';
import {
  containerLabel,
  hostnamesFor,
  isContainerHost,
  normaliseHost,
  serviceHostname,
} from '../../shared/hostnames.ts';
import { ServiceName } from '../../shared/protocol.ts';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as GatewayError).code;
  }
  return 'no error';
};

describe('hostnames', () => {
  it('makes container ids DNS-safe: lowercase, _ becomes -', () => {
    expect(containerLabel('uc_K3J9x')).toBe('uc-k3j9x');
    expect(containerLabel('3F2A1B4C-0000-4000-8000-000000000000')).toBe(
      '3f2a1b4c-0000-4000-8000-000000000000',
    );
  });

  it('builds the primary alias and the per-service hostname', () => {
    const parts = { containerId: 'uc_abc', orgId: 'O1', domain: 'example.com' };
    expect(serviceHostname(parts)).toBe('uc-uc-abc.org-o1.example.com');
    expect(serviceHostname({ ...parts, service: 'jupyterlab' })).toBe(
      'uc-uc-abc--jupyterlab.org-o1.example.com',
    );
    expect(hostnamesFor(parts, 'web', true)).toEqual([
      'uc-uc-abc.org-o1.example.com',
      'uc-uc-abc--web.org-o1.example.com',
    ]);
    expect(hostnamesFor(parts, 'web', false)).toEqual(['uc-uc-abc--web.org-o1.example.com']);
  });

  it('refuses labels over 63 characters, invalid ids and ambiguous "--"', () => {
    const long = 'a'.repeat(61);
    expect(code(() => serviceHostname({ containerId: long, orgId: 'o', domain: 'd' }))).toBe(
      ErrorCode.BadHostname,
    );
    expect(serviceHostname({ containerId: 'a'.repeat(60), orgId: 'o', domain: 'd' })).toHaveLength(63 + 8);
    expect(
      code(() =>
        serviceHostname({ containerId: 'a'.repeat(50), orgId: 'o', domain: 'd', service: 'terminal1' }),
      ),
    ).toBe(ErrorCode.BadHostname);
    expect(code(() => containerLabel('a--b'))).toBe(ErrorCode.BadHostname);
    expect(code(() => containerLabel('-a'))).toBe(ErrorCode.BadHostname);
    expect(code(() => containerLabel('a.b'))).toBe(ErrorCode.BadHostname);
    expect(
      code(() => serviceHostname({ containerId: 'c', orgId: 'o', domain: 'd', service: 'Bad Name' })),
    ).toBe(ErrorCode.BadHostname);
  });

  it('normalises Host headers for an exact match and rejects junk', () => {
    expect(normaliseHost('UC-C1.org-o.localhost:8080')).toBe('uc-c1.org-o.localhost');
    expect(normaliseHost('uc-c1.org-o.localhost.')).toBe('uc-c1.org-o.localhost');
    for (const bad of [
      '',
      'a b',
      'uc-c1.org-o.localhost:x',
      'évil.com',
      'a..b',
      `${'a'.repeat(64)}.com`,
      undefined,
    ]) {
      expect(normaliseHost(bad)).toBeUndefined();
    }
  });

  it('recognises container hostnames under the domain only', () => {
    expect(isContainerHost('uc-c1.org-o.localhost', 'localhost')).toBe(true);
    expect(isContainerHost('uc-c1--web.org-o.example.com', 'example.com')).toBe(true);
    expect(isContainerHost('uc-c1.org-o.evil.com', 'example.com')).toBe(false);
    expect(isContainerHost('x.uc-c1.org-o.example.com', 'example.com')).toBe(false);
    expect(isContainerHost('localhost', 'localhost')).toBe(false);
  });

  describe('a service name the protocol accepts always makes a hostname the proxy accepts', () => {
    /** What the proxy admits as a container hostname (the Host check in front of the route table). */
    const proxyAccepts = (host: string, domain: string) =>
      normaliseHost(host) === host && isContainerHost(host, domain);
    const parts = { containerId: 'c1', orgId: 'o1', domain: 'example.com' };
    /** Every name over "a", "0" and "-" up to 6 characters: each shape of dash placement. */
    const shapes = (max: number): string[] => {
      let level = [''];
      const all: string[] = [];
      for (let n = 1; n <= max; n++) {
        level = level.flatMap((p) => ['a', '0', '-'].map((ch) => p + ch));
        all.push(...level);
      }
      return all;
    };

    it('holds for every short name, and the refused ones are exactly the non-labels', () => {
      const accepted = shapes(6).filter((name) => ServiceName.safeParse(name).success);
      expect(accepted.length).toBeGreaterThan(100);
      for (const name of accepted)
        for (const host of hostnamesFor(parts, name, true))
          expect(proxyAccepts(host, parts.domain), host).toBe(true);
      for (const name of shapes(6).filter((n) => !accepted.includes(n)))
        expect(name.startsWith('-') || name.endsWith('-'), name).toBe(true);
    });

    const table: [string, boolean][] = [
      ['web-', false],
      ['-web', false],
      ['-', false],
      ['web--', false],
      ['a--b', true],
      ['web-1', true],
      ['0', true],
      ['1234567890', true],
      ['a'.repeat(50), true],
      ['a'.repeat(51), false],
      // The names the legacy images register (docs/legacy-protocol.md, section 4) and the image modules.
      ['terminal', true],
      ['jupyterlab', true],
      ['pgadmin4', true],
      ['n8n', true],
    ];
    for (const [name, ok] of table) {
      it(`${JSON.stringify(name)}: ${ok ? 'accepted, and its hostnames pass the proxy' : 'refused'}`, () => {
        expect(ServiceName.safeParse(name).success).toBe(ok);
        if (ok)
          for (const host of hostnamesFor(parts, name, true))
            expect(proxyAccepts(host, parts.domain)).toBe(true);
        else expect(code(() => serviceHostname({ ...parts, service: name }))).toBe(ErrorCode.BadHostname);
      });
    }

    it('the longest container id with a 50-character name is refused as a whole, not half-built', () => {
      const long = { ...parts, containerId: 'c'.repeat(20) };
      expect(ServiceName.safeParse('s'.repeat(50)).success).toBe(true);
      expect(code(() => serviceHostname({ ...long, service: 's'.repeat(50) }))).toBe(ErrorCode.BadHostname);
      expect(proxyAccepts(serviceHostname({ ...long, service: 's'.repeat(38) }), parts.domain)).toBe(true);
    });

    it('the builder refuses anything the proxy would not take, whatever part makes it so', () => {
      for (const domain of ['Example.com', 'example.com.', 'bad_domain.com', `${'d'.repeat(64)}.com`])
        expect(
          code(() => serviceHostname({ ...parts, domain, service: 'web' })),
          domain,
        ).toBe(ErrorCode.BadHostname);
    });
  });
});
