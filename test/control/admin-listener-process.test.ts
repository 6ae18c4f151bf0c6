/**
 * The admin listener as a real gateway binds it on Node, Deno and Bun: ADMIN_HOST is honoured, ADMIN_TOKEN
 * guards /admin/* (never /metrics or /healthz), and a non-loopback ADMIN_HOST without a token stops the
 * process with one line and exit code 2. Loopback only: 127.0.0.2 stands for "another address".
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';

const TOKEN = 'process-admin-token-0123456789';
const ROOT = new URL('../..', import.meta.url).pathname;

const reach = (url: string, init?: RequestInit) =>
  fetch(url, { ...init, signal: AbortSignal.timeout(5_000) }).then(
    (res) => res.status,
    () => 'unreachable' as const,
  );

describe.each(RUNTIMES)('admin listener (%s)', (runtime) => {
  const gateways: GatewayProcess[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gw) => gw.stop()));
  });

  it('binds ADMIN_HOST', async () => {
    const gw = await startGateway(runtime, { ADMIN_HOST: '127.0.0.2' });
    gateways.push(gw);
    expect(await reach(`http://127.0.0.2:${gw.adminPort}/healthz`)).toBe(200);
    expect(await reach(`http://127.0.0.1:${gw.adminPort}/healthz`)).toBe('unreachable');
  });

  it('guards /admin/* with ADMIN_TOKEN on every address, and keeps /metrics and /healthz open', async () => {
    const gw = await startGateway(runtime, { ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN });
    gateways.push(gw);
    const admin = `http://127.0.0.1:${gw.adminPort}`;
    expect(await reach(`${admin}/admin/containers`)).toBe(401);
    expect(
      await reach(`${admin}/admin/containers`, { headers: { authorization: 'Bearer not-the-token' } }),
    ).toBe(401);
    expect(await reach(`${admin}/admin/containers`, { headers: { authorization: `Bearer ${TOKEN}` } })).toBe(
      200,
    );
    expect(await reach(`${admin}/metrics`)).toBe(200);
    expect(await reach(`${admin}/healthz`)).toBe(200);
    expect(gw.output()).not.toContain(TOKEN);
  });

  it('refuses to start on a non-loopback ADMIN_HOST without ADMIN_TOKEN', () => {
    const command = {
      node: ['node_modules/.bin/tsx'],
      deno: ['node_modules/.bin/deno', 'run', '-A'],
      bun: ['node_modules/.bin/bun'],
    }[runtime];
    const run = spawnSync(command[0] as string, [...command.slice(1), 'gateway/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      'config: ADMIN_TOKEN must be set when ADMIN_HOST is not a loopback address (got "0.0.0.0"): /admin/* would be open to the network',
    );
  });
});
