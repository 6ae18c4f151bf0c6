/**
 * The pool as an operator sees it, on real gateway processes sharing a real redis-server: GET
 * /admin/gateways, `gatewayctl gateways` (Redis and admin API, table and --json), the pool metrics, a
 * gateway killed with SIGKILL declared dead by its peer (its locations dropped), a clean stop that leaves.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayRow } from '../../gateway/pool/pool-inventory.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const run = promisify(execFile);
const POOL = { POOL_HEARTBEAT: '200ms', POOL_DEAD_AFTER: '1s' };

async function until(what: string, condition: () => Promise<boolean>, limitMs = 20_000) {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const gateways = async (gw: GatewayProcess): Promise<GatewayRow[]> => {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/gateways`);
  expect(res.status).toBe(200);
  return (await res.json()) as GatewayRow[];
};
const poolMetrics = async (gw: GatewayProcess) => {
  const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
  const families = parsePrometheusText(text);
  const value = (name: string, state?: string) =>
    families.get(name)?.samples.find((s) => state === undefined || s.labels.state === state)?.value;
  return {
    alive: value('gateway_pool_members', 'alive'),
    draining: value('gateway_pool_members', 'draining'),
    located: value('gateway_pool_located_containers'),
  };
};

describe('the pool seen by an operator', () => {
  let redis: TestRedis;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let pool: RedisPoolState;
  const ctl = (args: string[], env: Record<string, string> = {}) =>
    run('node_modules/.bin/gatewayctl', args, { env: { ...process.env, REDIS_URL: redis.url, ...env } });

  beforeAll(async () => {
    redis = await startRedis();
    const common = { REDIS_URL: redis.url, ...POOL };
    [a, b] = await Promise.all([
      startGateway('node', { ...common, GATEWAY_ID: 'gw-a', BACKBONE_ADDRESS: '198.51.100.1' }),
      startGateway('node', { ...common, GATEWAY_ID: 'gw-b', BACKBONE_ADDRESS: '198.51.100.2' }),
    ]);
    pool = new RedisPoolState(redis.url);
  }, 90_000);
  afterAll(async () => {
    await pool?.close();
    await a?.stop().catch(() => undefined);
    await b?.stop().catch(() => undefined);
    await redis?.stop();
  });

  it('lists both gateways alive with the containers each holds, in the admin API, gatewayctl and /metrics', async () => {
    await pool.setLocation('c1', 'gw-b', Date.now());
    await pool.setLocation('c2', 'gw-b', Date.now());
    await until('a sees two members', async () => (await poolMetrics(a)).alive === 2);
    const rows = await gateways(a);
    expect(rows.map((r) => [r.id, r.state, r.containers, r.backbone]).sort()).toEqual([
      ['gw-a', 'alive', 0, '198.51.100.1'],
      ['gw-b', 'alive', 2, '198.51.100.2'],
    ]);
    expect(rows[0]).toMatchObject({ draining: false, vpnRemote: null, version: expect.any(String) });
    expect(await poolMetrics(a)).toEqual({ alive: 2, draining: 0, located: 0 });

    const fromRedis = JSON.parse((await ctl(['gateways', '--json'])).stdout) as GatewayRow[];
    expect(fromRedis.map((r) => [r.id, r.state, r.containers]).sort()).toEqual([
      ['gw-a', 'alive', 0],
      ['gw-b', 'alive', 2],
    ]);
    const table = (await ctl(['gateways'])).stdout;
    expect(table).toMatch(/^GATEWAY\s+STATE\s+LAST BEAT\s+CONTAINERS\s+BACKBONE/);
    expect(table).toMatch(/gw-b\s+alive\s+\d+s ago\s+2\s+198\.51\.100\.2/);
    const viaAdmin = JSON.parse(
      (await ctl(['gateways', '--json'], { REDIS_URL: '', ADMIN_PORT: String(a.adminPort) })).stdout,
    ) as GatewayRow[];
    expect(viaAdmin.map((r) => r.id).sort()).toEqual(['gw-a', 'gw-b']);
  }, 120_000);

  it('declares a killed gateway dead and drops its locations; a clean stop leaves', async () => {
    process.kill(-b.pid, 'SIGKILL');
    await until('gw-b removed', async () => (await gateways(a)).every((r) => r.id !== 'gw-b'));
    expect(await pool.locations()).toEqual([]);
    const dead = a
      .output()
      .split('\n')
      .filter((l) => l.includes('"gateway dead"'));
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0] as string)).toMatchObject({
      gatewayId: 'gw-b',
      containersDropped: 2,
      declaredBy: 'gw-a',
    });
    expect((await poolMetrics(a)).alive).toBe(1);

    await a.stop();
    expect(a.output()).toContain('"gateway left"');
    expect(await pool.members()).toEqual([]);
  }, 60_000);
});

describe('a gateway on the embedded store', () => {
  it('is a pool of one', async () => {
    const gw = await startGateway('node', { GATEWAY_ID: 'gw-solo' });
    try {
      const rows = await gateways(gw);
      expect(rows).toEqual([expect.objectContaining({ id: 'gw-solo', state: 'alive', containers: 0 })]);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
