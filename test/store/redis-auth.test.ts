/**
 * Redis with a password: a gateway given none, or a wrong one, refuses to start with one line that names
 * the settings (reason `auth`), never the password; given the right one it serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReason } from '../../gateway/store/redis-connection.ts';
import { startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

describe('Redis credentials', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ password: 'right-password-123' });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reads a missing or wrong password as the reason auth', () => {
    expect(failureReason(new Error('NOAUTH Authentication required.'))).toBe('auth');
    expect(failureReason(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(
      'auth',
    );
    expect(failureReason(new Error('NOPERM this user has no permissions to run the get command'))).toBe(
      'auth',
    );
    expect(failureReason(new Error('ERR some other error'))).toBe('server_error');
  });

  for (const [what, url] of [
    ['no password', () => redis.url],
    ['a wrong password', () => redis.url.replace('redis://', 'redis://:wrong-password-456@')],
  ] as const)
    it(`refuses to start with ${what}, in a line that names the settings`, async () => {
      const failure = await startGateway('node', { REDIS_URL: url() }).then(
        async (gw) => {
          await gw.stop();
          return 'started';
        },
        (err: Error) => err.message,
      );
      expect(failure).toContain(
        'the store refused the credentials (REDIS_PASSWORD, REDIS_USERNAME or the password in REDIS_URL)',
      );
      expect(failure).not.toContain('wrong-password-456');
      expect(failure).not.toContain('right-password-123');
    });

  it('serves with the right password', async () => {
    const gw = await startGateway('node', {
      REDIS_URL: redis.url.replace('redis://', 'redis://:right-password-123@'),
    });
    try {
      expect((await fetch(`${gw.base}/healthz`)).status).toBe(200);
      expect(gw.output()).not.toContain('right-password-123');
    } finally {
      await gw.stop();
    }
  });
});
