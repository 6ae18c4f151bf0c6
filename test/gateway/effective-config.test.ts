/** The start-up line's configuration: every setting, secrets as set/unset, URLs without credentials. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.ts';
import { effectiveConfig } from '../../gateway/effective-config.ts';

describe('effective configuration', () => {
  it('shows every setting, secrets only as set or unset, URLs without user info or query', () => {
    const shown = effectiveConfig(
      loadConfig({
        REDIS_URL: 'redis://gw:redis-password@redis.internal:6380/2',
        LOGIN_URL: 'https://platform.example/login?key=query-secret',
        SESSION_SECRET: 'session-secret-0123456789abcdef0123456789',
        ADMIN_TOKEN: 'admin-token-0123456789',
        SECRETS_KEY: 'k'.repeat(64),
      }),
    );
    expect(shown).toMatchObject({
      REDIS_URL: 'redis://redis.internal:6380/2',
      LOGIN_URL: 'https://platform.example/login',
      SESSION_SECRET: 'set',
      ADMIN_TOKEN: 'set',
      SECRETS_KEY: 'set',
      ASSERTION_KEY: 'unset',
      JWT_PUBLIC_KEY: 'unset',
      JWKS_URL: 'unset',
      DEV_SIGNING_KEY: true,
      PORT: 8080,
      TRUSTED_PROXIES: '127.0.0.1,::1',
      ACCESS_LOG: 'off',
    });
    const text = JSON.stringify(shown);
    for (const secret of ['redis-password', 'query-secret', 'session-secret', 'admin-token', 'kkkk'])
      expect(text).not.toContain(secret);
  });
});
