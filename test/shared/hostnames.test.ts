import { describe, expect, it } from 'vitest';
import { ErrorCode, type GatewayError } from '../../shared/errors.ts';
import {
  containerLabel,
  hostnamesFor,
  isContainerHost,
  normaliseHost,
  serviceHostname,
} from '../../shared/hostnames.ts';

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
});
