/** REDIS_URL, REDIS_SENTINELS + REDIS_SENTINEL_NAME, REDIS_CLUSTER_NODES: one kind of target, or none. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.ts';
import { describeTarget, readRedisTarget } from '../../gateway/store/redis-target.ts';

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('Redis target from configuration', () => {
  it('is none without settings, a server with REDIS_URL', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
      kind: 'server',
      url: 'redis://127.0.0.1:6379',
    });
  });

  it('parses a Sentinel and a Cluster, IPv6 in brackets', () => {
    const sentinel = loadConfig({
      REDIS_SENTINELS: 'a.example:26379, [::1]:26380',
      REDIS_SENTINEL_NAME: 'dg',
    });
    expect(sentinel.redis).toEqual({
      kind: 'sentinel',
      name: 'dg',
      sentinels: [
        { host: 'a.example', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' }).redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
    });
  });

  it('refuses mixes, a half-given Sentinel and bad lists with a line naming the variables', () => {
    expect(refusal({ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:7000' })).toBe(
      'config: set one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), not REDIS_URL and REDIS_CLUSTER_NODES',
    );
    expect(
      refusal({ REDIS_SENTINELS: 'h:26379', REDIS_SENTINEL_NAME: 'dg', REDIS_CLUSTER_NODES: 'h:1' }),
    ).toMatch(/not REDIS_SENTINELS and REDIS_CLUSTER_NODES$/);
    expect(refusal({ REDIS_SENTINELS: 'h:26379' })).toMatch(
      /REDIS_SENTINEL_NAME must be set with REDIS_SENTINELS/,
    );
    expect(refusal({ REDIS_SENTINEL_NAME: 'dg' })).toMatch(
      /REDIS_SENTINELS must be set with REDIS_SENTINEL_NAME/,
    );
    expect(refusal({ REDIS_CLUSTER_NODES: 'h:70000' })).toBe(
      'config: REDIS_CLUSTER_NODES must be a comma-separated list of cluster nodes as host:port (got "h:70000")',
    );
    expect(refusal({ REDIS_SENTINELS: 'h', REDIS_SENTINEL_NAME: 'dg' })).toMatch(
      /^config: REDIS_SENTINELS must be/,
    );
  });

  it('reads the same settings for gatewayctl, and never shows a password', () => {
    expect(readRedisTarget({ REDIS_CLUSTER_NODES: 'h:7000' })).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'h', port: 7000 }],
    });
    expect(() => readRedisTarget({ REDIS_URL: 'redis://h:1', REDIS_SENTINELS: 'h:2' })).toThrow(
      /not REDIS_URL and REDIS_SENTINELS/,
    );
    expect(describeTarget({ kind: 'server', url: 'redis://gw:secret-pw@h:6379/0' })).toBe(
      'redis://***@h:6379/0',
    );
    expect(describeTarget({ kind: 'sentinel', name: 'dg', sentinels: [{ host: '::1', port: 1 }] })).toBe(
      'redis sentinel "dg" via [::1]:1',
    );
  });

  it("takes the data nodes' credentials for Sentinel and Cluster, refuses them beside REDIS_URL, never echoes them", () => {
    const sentinel = loadConfig({
      REDIS_SENTINELS: '127.0.0.1:26379',
      REDIS_SENTINEL_NAME: 'dg',
      REDIS_USERNAME: 'gateway',
      REDIS_PASSWORD: 'data-secret-1',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-2',
    });
    expect(sentinel.redis).toMatchObject({
      kind: 'sentinel',
      username: 'gateway',
      password: 'data-secret-1',
      sentinelPassword: 'sentinel-secret-2',
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_PASSWORD: 'p' }).redis).toMatchObject({
      kind: 'cluster',
      password: 'p',
    });
    expect(refusal({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PASSWORD: 'url-secret-3' })).toContain(
      'config: REDIS_URL carries its own credentials',
    );
    expect(refusal({ REDIS_PASSWORD: 'lonely-secret-4' })).toContain(
      'config: REDIS_USERNAME and REDIS_PASSWORD need REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    );
    expect(refusal({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINEL_PASSWORD: 'x' })).toContain(
      'config: REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS',
    );
    const bad = refusal({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_PASSWORD: 'x'.repeat(2000) });
    expect(bad).toContain('REDIS_PASSWORD');
    expect(bad).not.toContain('xxxxxxxx');
    expect(describeTarget(sentinel.redis as never)).not.toContain('secret');
  });
});
