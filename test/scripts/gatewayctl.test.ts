/**
 * gatewayctl against a real Redis written by a real gateway: tables, --json, token, the line naming what
 * it reads, and its command line (help, usage errors with exit 2, failures with exit 1, never a stack).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const run = promisify(execFile);

describe('gatewayctl', () => {
  let redis: TestRedis;
  let gw: GatewayProcess;
  const ctl = (args: string[], env: Record<string, string> = {}) =>
    run('node_modules/.bin/gatewayctl', args, {
      env: { ...process.env, REDIS_URL: redis.url, DATA_DIR: gw.dataDir, ...env },
    });

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway('node', { REDIS_URL: redis.url, DEFAULT_ACCESS: 'project' });
    const token = (await ctl(['token', '--container', 'uc_ctl1', '--project', PROJECT, '--org', ORG])).stdout
      .trim()
      .split('\n')
      .at(-1) as string;
    const post = (body: string) =>
      fetch(`${gw.base}/collab/event`, { method: 'POST', body, headers: { authorization: token } });
    expect((await post(mapBody('terminal', 7681))).status).toBe(200);
    expect((await post(legacyWatchdogBody())).status).toBe(200);
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('lists routes as a table and as JSON', async () => {
    const { stdout } = await ctl(['routes']);
    expect(stdout).toMatch(/^HOSTNAME\s+CONTAINER\s+SERVICE\s+UPSTREAM\s+ACCESS/);
    expect(stdout).toContain(`uc-uc-ctl1--terminal.org-${ORG}.localhost  uc_ctl1`);
    const json = JSON.parse((await ctl(['routes', '--json'])).stdout);
    expect(json).toHaveLength(2);
    expect(json[0]).toMatchObject({
      hostname: `uc-uc-ctl1--terminal.org-${ORG}.localhost`,
      port: 7681,
      upstream: '127.0.0.1',
      access: 'project',
    });
  });

  it('lists containers and their health with staleness', async () => {
    const containers = JSON.parse((await ctl(['containers', '--json'])).stdout);
    expect(containers).toEqual([
      expect.objectContaining({
        containerId: 'uc_ctl1',
        orgId: ORG,
        projectId: PROJECT,
        primary: 'terminal',
      }),
    ]);
    const health = JSON.parse((await ctl(['health', '--json'])).stdout);
    expect(health[0]).toMatchObject({ containerId: 'uc_ctl1', online: true });
    expect(health[0].ageMs).toBeGreaterThanOrEqual(0);
    expect((await ctl(['health'])).stdout).toMatch(/uc_ctl1\s+online\s+\d+s ago/);
    expect((await ctl(['health'], { LIVENESS_TIMEOUT: '1ms' })).stdout).toMatch(/uc_ctl1\s+offline/);
  });

  it('reads the admin API of a gateway on the embedded store when REDIS_URL is absent', async () => {
    const { stdout } = await ctl(['routes', '--json'], { REDIS_URL: '', ADMIN_PORT: String(gw.adminPort) });
    expect(JSON.parse(stdout)).toHaveLength(2);
  });

  it('watches changes live', async () => {
    const child = (await import('node:child_process')).spawn(
      'node_modules/.bin/gatewayctl',
      ['watch', '--json'],
      {
        env: { ...process.env, REDIS_URL: redis.url },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    try {
      // Subscribed (it says so on stderr) before the change is made.
      for (let i = 0; i < 200 && !err.includes('watching'); i++) await new Promise((r) => setTimeout(r, 50));
      const token = await gw.token('uc_watch', PROJECT, ORG);
      await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: mapBody('web', 8080),
        headers: { authorization: token },
      });
      for (let i = 0; i < 100 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse(out.split('\n')[0] as string)).toMatchObject({
        kind: 'routes',
        containerId: 'uc_watch',
      });
    } finally {
      child.kill('SIGINT');
    }
  });

  it('revokes a container, says so when it was already revoked, and fails on an unknown id', async () => {
    const admin = { ADMIN_PORT: String(gw.adminPort) };
    const token = await gw.token('uc_revoke', PROJECT, ORG);
    const map = await fetch(`${gw.base}/collab/event`, {
      method: 'POST',
      body: mapBody('web', 8080),
      headers: { authorization: token },
    });
    expect(map.status).toBe(200);
    expect((await ctl(['revoke', 'uc_revoke'], admin)).stdout).toBe(
      'revoked uc_revoke: routes removed, VPN clients killed 0\n',
    );
    expect((await ctl(['revoke', 'uc_revoke'], admin)).stdout).toBe(
      'uc_revoke was already revoked (still revoked): routes none, VPN clients killed 0\n',
    );
    await expect(ctl(['revoke', 'uc_never_seen'], admin)).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('no container "uc_never_seen" is known to this gateway'),
    });
  });

  it('sends ADMIN_TOKEN to a gateway that requires one, and says so clearly on a 401', async () => {
    const adminToken = 'ctl-admin-token-0123456789abcdef';
    const guarded = await startGateway('node', { ADMIN_TOKEN: adminToken });
    try {
      const admin = { REDIS_URL: '', ADMIN_PORT: String(guarded.adminPort) };
      const withToken = await ctl(['containers', '--json'], { ...admin, ADMIN_TOKEN: adminToken });
      expect(JSON.parse(withToken.stdout)).toEqual([]);
      await expect(ctl(['revoke', 'uc_nobody'], { ...admin, ADMIN_TOKEN: adminToken })).rejects.toMatchObject(
        {
          code: 1,
          stderr: expect.stringContaining('no container "uc_nobody" is known to this gateway'),
        },
      );
      // Both paths to the admin API (read: source.ts, act: main.ts); each gatewayctl run is a process start.
      await expect(ctl(['containers'], admin)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('requires a token (401): set ADMIN_TOKEN'),
      });
      const wrong = ctl(['revoke', 'uc_nobody'], { ...admin, ADMIN_TOKEN: 'not-the-admin-token-at-all' });
      await expect(wrong).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('refused ADMIN_TOKEN (401)'),
      });
      expect(String(await wrong.catch((e: { stderr: string }) => e.stderr))).not.toContain(
        'not-the-admin-token',
      );
    } finally {
      await guarded.stop();
    }
  }, 90_000);

  it('names what it reads on stderr, and the banner names a non-default admin port', async () => {
    // The banner's own command, as printed for this gateway (its admin port is not 9090).
    const printed = /npx gatewayctl routes --admin (http:\/\/127\.0\.0\.1:\d+)\n/.exec(gw.output());
    expect(printed?.[1]).toBe(`http://127.0.0.1:${gw.adminPort}`);
    const [viaRedis, viaBanner, guess] = await Promise.all([
      ctl(['routes', '--json']),
      ctl(['routes', '--admin', printed?.[1] as string], { REDIS_URL: '' }),
      // No port given: the documented default, said so (whatever answers there, or nothing).
      ctl(['routes'], { REDIS_URL: '', ADMIN_PORT: '' }).catch((e: { stderr: string }) => e),
    ]);
    expect(viaRedis.stderr).toBe(`gatewayctl: reading ${redis.url}\n`);
    expect(viaBanner.stderr).toBe(`gatewayctl: reading the admin API at ${printed?.[1]} (--admin)\n`);
    expect(viaBanner.stdout).toContain('uc_ctl1');
    expect(guess.stderr).toMatch(
      /^gatewayctl: reading the admin API at http:\/\/127\.0\.0\.1:9090 \(default/,
    );
  });

  it('refuses a bad command line or an id the gateway would refuse: one line, usage, exit 2', async () => {
    // The cases are tested in-process (gatewayctl-cli.test.ts); here, what a shell sees, on two of them.
    const runs = await Promise.all([
      ctl(['routes', '--jsn']).catch((e) => e),
      ctl(['token', '--container', 'uc--two', '--project', PROJECT, '--org', ORG]).catch((e) => e),
    ]);
    for (const [run, line] of [
      [runs[0], 'gatewayctl: routes has no option --jsn'],
      [
        runs[1],
        'gatewayctl: container id "uc--two" may not contain "--": the gateway would refuse this token',
      ],
    ]) {
      expect(run).toMatchObject({ code: 2, stdout: '' });
      const [first, second] = run.stderr.split('\n');
      expect(first).toBe(line);
      expect(second).toMatch(/^usage: gatewayctl /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
