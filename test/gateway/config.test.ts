import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.ts';

const message = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('configuration', () => {
  it('has defaults that run on a bare machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      ADMIN_PORT: 9090,
      DOMAIN: 'localhost',
      LIVENESS_TIMEOUT: 45_000,
      DATA_DIR: '.data',
      DEV_SIGNING_KEY: true,
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.GATEWAY_FQDN).toBe('localhost:8080');
  });

  it('parses durations', () => {
    expect(loadConfig({ LIVENESS_TIMEOUT: '60' }).LIVENESS_TIMEOUT).toBe(60_000);
    expect(loadConfig({ LIVENESS_TIMEOUT: '1500ms' }).LIVENESS_TIMEOUT).toBe(1500);
    expect(loadConfig({ ROUTE_RETENTION: '2h' }).ROUTE_RETENTION).toBe(7_200_000);
  });

  it('names the variable and what it expects, in one line', () => {
    for (const [env, expected] of [
      [{ PORT: 'eighty' }, 'config: PORT must be a TCP port from 1 to 65535 (got "eighty")'],
      [{ ADMIN_PORT: '70000' }, 'config: ADMIN_PORT must be a TCP port'],
      [{ REDIS_URL: 'localhost:6379' }, 'config: REDIS_URL must be a redis:// or rediss:// URL'],
      [{ LIVENESS_TIMEOUT: 'soon' }, 'config: LIVENESS_TIMEOUT must be a duration such as 45s'],
      [{ DOMAIN: 'Example..com' }, 'config: DOMAIN must be a lowercase DNS domain'],
      [{ DEV_SIGNING_KEY: 'maybe' }, 'config: DEV_SIGNING_KEY must be true or false'],
      [
        { DEV_SIGNING_KEY: 'false' },
        'config: JWT_PUBLIC_KEY or JWKS_URL must be set when DEV_SIGNING_KEY=false',
      ],
      [
        { DEV_SIGNING_KEY: 'false', JWKS_URL: 'https://p.example/jwks', VPN_ENABLED: 'true' },
        'config: SECRETS_KEY must be set',
      ],
      [
        { DEV_SIGNING_KEY: 'false', JWKS_URL: 'https://p.example/jwks' },
        'config: SESSION_SECRET and ASSERTION_KEY must be set',
      ],
      [{ VPN_SUBNET: '172.16.0.0' }, 'config: VPN_SUBNET must be an IPv4 CIDR'],
      [{ VPN_PROTO: 'sctp' }, 'config: VPN_PROTO must be udp or tcp'],
      [{ ACCESS_LEVELS: 'public,everyone' }, 'config: ACCESS_LEVELS must be a comma-separated list'],
      [{ SESSION_SECRET: 'short' }, 'config: SESSION_SECRET must be at least 32 characters'],
    ] as const) {
      const m = message(env);
      expect(m).toContain(expected);
      expect(m).not.toContain('\n');
    }
  });

  it('stops the process with that line and exit code 2', () => {
    const run = spawnSync('node_modules/.bin/tsx', ['gateway/main.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('config: PORT must be a TCP port from 1 to 65535 (got "eighty")');
  });
});
