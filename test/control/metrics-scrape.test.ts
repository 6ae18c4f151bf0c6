/**
 * `/metrics` of a real gateway on Node, Deno and Bun: a strict parser reads it, it holds the families an
 * operator graphs and alerts on, and traffic to 50 hostnames and 50 paths (and 50 refused events with
 * made-up types) adds no series. The start-up line shows the configuration with secrets as set/unset.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../proxy/proxy-suite.ts';
import { ORG } from '../support/control.ts';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';
import { type Family, parsePrometheusText, seriesCount } from '../support/prometheus-text.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ADMIN_TOKEN = 'scrape-test-admin-token-0123456789';
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const FAMILIES = [
  'gateway_proxy_requests_total',
  'gateway_proxy_request_duration_seconds',
  'gateway_upstream_response_seconds',
  'gateway_upstream_errors_total',
  'gateway_proxy_websockets_open',
  'gateway_route_cache_hits_total',
  'gateway_security_events_total',
  'gateway_events_total',
  'gateway_sign_in_total',
  'gateway_containers_online',
  'gateway_pool_members',
  'gateway_pool_located_containers',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_heap_used_bytes',
  'process_open_fds',
  'process_start_time_seconds',
  'gateway_event_loop_lag_seconds',
  'gateway_build_info',
];

const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  families
    .get(name)
    ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;

describe.each(RUNTIMES)('metrics scrape (%s)', (runtime) => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  let token: string;
  const host = `uc-m1.org-${ORG}.localhost`;
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parsePrometheusText(await res.text());
  };
  const event = (body: string, authorization = token) =>
    fetch(`${gw.base}/collab/event`, { method: 'POST', body, headers: { authorization } });
  /** One of each kind of traffic the varied round below sends, so every series it can touch exists. */
  const round = async (i: number) => {
    await (await request(`${gw.base}/p${i}?token=t${i}`, { headers: { host } })).body.text();
    await (
      await request(`${gw.base}/`, { headers: { host: `uc-nobody${i}.org-${ORG}.localhost` } })
    ).body.text();
    expect((await event(`{"event":{"type":"user-container:evil-${i}"}}`)).status).toBe(400);
    expect(
      (await event('{"event":{"type":"user-container:watchdog","system":{}}}', `Bearer bad-${i}`)).status,
    ).toBe(401);
  };

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway(runtime, { ADMIN_TOKEN });
    token = await register(gw, 'm1', 'web', up.port);
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('parses as Prometheus text and holds the families an operator needs', async () => {
    await round(0);
    const families = await scrape();
    for (const name of FAMILIES) expect(families.has(name), name).toBe(true);
    expect(families.get('gateway_build_info')?.samples).toEqual([
      {
        name: 'gateway_build_info',
        labels: { version: VERSION, runtime, runtime_version: expect.stringMatching(/^\d+\.\d+/) },
        value: 1,
      },
    ]);
    expect(value(families, 'gateway_containers_online')).toBe(1);
    expect(value(families, 'gateway_events_total', { type: 'map-http-service', result: 'ok' })).toBe(1);
    expect(value(families, 'gateway_events_total', { type: 'watchdog', result: 'ok' })).toBe(1);
    expect(value(families, 'gateway_events_total', { type: 'unknown', result: 'GW_ERR_BAD_EVENT' })).toBe(1);
    expect(value(families, 'gateway_events_total', { type: 'unknown', result: 'GW_ERR_UNAUTHORIZED' })).toBe(
      1,
    );
    expect(
      value(families, 'gateway_proxy_requests_total', { class: '2xx', by: 'app' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(families, 'gateway_proxy_requests_total', { class: '4xx', by: 'gateway' }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(families, 'process_open_fds')).toBeGreaterThan(0);
    expect(value(families, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(value(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    const started = value(families, 'process_start_time_seconds') ?? 0;
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(600);
  });

  it('adds no series for 50 hostnames, 50 paths and 50 made-up event types', async () => {
    await round(1);
    const before = await scrape();
    for (let i = 2; i < 52; i++) await round(i);
    const after = await scrape();
    expect(seriesCount(after)).toBe(seriesCount(before));
    const text = JSON.stringify([...after.values()].map((f) => f.samples.map((s) => s.labels)));
    for (const leak of ['nobody', 'evil', '/p', 'bad-', 't1']) expect(text).not.toContain(leak);
    expect(value(after, 'gateway_events_total', { type: 'unknown', result: 'GW_ERR_UNAUTHORIZED' })).toBe(52);
  });

  it('logs the effective configuration at start, secrets as set or unset', () => {
    const line = gw
      .output()
      .split('\n')
      .find((l) => l.includes('"msg":"listening"'));
    const config = (JSON.parse(line ?? '{}') as { config?: Record<string, unknown> }).config;
    expect(config).toMatchObject({ ADMIN_TOKEN: 'set', SESSION_SECRET: 'unset', ADMIN_PORT: gw.adminPort });
    expect(gw.output()).not.toContain(ADMIN_TOKEN);
  });
});
