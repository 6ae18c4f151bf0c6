/**
 * A real gateway on a private redis-server with containers registered and their routes cached, and what
 * the fault tests ask of it: requests (with how long they took), a bounded load, and its JSON log lines.
 */
import { Agent, request } from 'undici';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

export const hostOf = (container: string) => `uc-${container}.org-${ORG}.localhost`;
export const UNKNOWN_HOST = hostOf('nobody');
export const CONTAINERS = ['f1', 'f2', 'f3'];

/**
 * Short cache TTL and liveness timeout, so that an outage of a few seconds outlives both: cached routes
 * are then served past their TTL (stale-if-error) and containers past their last watchdog.
 */
export const FAULT_ENV = { ROUTE_CACHE_TTL: '300ms', LIVENESS_TIMEOUT: '3s', STORE_TIMEOUT: '1s' };

export interface Answer {
  status: number;
  code?: string;
  retryAfter?: string;
  ms: number;
}

export interface FaultFixture {
  redis: TestRedis;
  gw: GatewayProcess;
  upstream: TestUpstream;
  tokens: Map<string, string>;
  /** GET / on a hostname (JSON answers), with the time it took. */
  get(host: string): Promise<Answer>;
  /** The sign-in callback on a hostname, with a flow cookie that matches: it redeems the code in the store. */
  signInCallback(host: string): Promise<Answer>;
  /** POST /collab/event as a container. */
  event(container: string, body: string): Promise<Answer>;
  /** GET /readyz on the admin listener. */
  readyz(): Promise<Answer>;
  metrics(): Promise<string>;
  /** The gateway's JSON log lines so far (stderr), parsed. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

const agent = new Agent({ connections: 16, keepAliveTimeout: 2_000 });

async function answer(url: string, init: Parameters<typeof request>[1]): Promise<Answer> {
  const started = performance.now();
  const res = await request(url, { dispatcher: agent, ...init });
  const text = await res.body.text();
  const retryAfter = res.headers['retry-after'];
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    // not JSON (a page)
  }
  return {
    status: res.statusCode,
    code,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
    ms: performance.now() - started,
  };
}

/** Starts Redis, an upstream and a gateway; registers CONTAINERS (map + watchdog) and caches their routes. */
export async function startFaultFixture(
  runtime: Runtime,
  options: { persistent?: boolean } = {},
): Promise<FaultFixture> {
  const [redis, upstream] = await Promise.all([startRedis(options), startUpstream()]);
  const gw = await startGateway(runtime, { REDIS_URL: redis.url, ...FAULT_ENV });
  const tokens = new Map<string, string>();
  const fixture: FaultFixture = {
    redis,
    gw,
    upstream,
    tokens,
    get: (host) =>
      answer(`${gw.base}/`, { headers: { host, accept: 'application/json' }, headersTimeout: 20_000 }),
    signInCallback: (host) =>
      answer(`${gw.base}/_dg/callback?flow=faultflow&state=${'s'.repeat(16)}&code=some-code`, {
        headers: { host, accept: 'application/json', cookie: `dg_flow_faultflow=${'s'.repeat(16)}.Lw` },
        headersTimeout: 20_000,
      }),
    event: (container, body) =>
      answer(`${gw.base}/collab/event`, {
        method: 'POST',
        body,
        headers: { authorization: tokens.get(container) ?? '', 'content-type': 'application/json' },
      }),
    readyz: () => answer(`http://127.0.0.1:${gw.adminPort}/readyz`, {}),
    metrics: async () => {
      const res = await request(`http://127.0.0.1:${gw.adminPort}/metrics`, { dispatcher: agent });
      return res.body.text();
    },
    logs: () =>
      gw
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      await gw.stop();
      await Promise.all([upstream.close(), redis.stop()]);
    },
  };
  for (const c of CONTAINERS) {
    tokens.set(c, await gw.token(c, PROJECT, ORG));
    for (const body of [mapBody('web', upstream.port), legacyWatchdogBody()]) {
      const a = await fixture.event(c, body);
      if (a.status !== 200) throw new Error(`registering ${c} answered ${a.status} ${a.code}`);
    }
    const cached = await fixture.get(hostOf(c));
    if (cached.status !== 200) throw new Error(`${hostOf(c)} answered ${cached.status} ${cached.code}`);
  }
  return fixture;
}

/** What a load saw: answers by status, the gateway's error codes, and the slowest. */
export interface LoadResult {
  total: number;
  byStatus: Record<number, number>;
  codes: Record<string, number>;
  slowestMs: number;
}

/**
 * Requests to `hosts` from `concurrency` clients, each in turn, until `durationMs` passed or `maxRequests`
 * were sent (bounded in time and count). A request that fails at the socket counts as status 0.
 */
export async function runLoad(
  fixture: FaultFixture,
  hosts: string[],
  durationMs: number,
  concurrency = 4,
  maxRequests = 20_000,
): Promise<LoadResult> {
  const result: LoadResult = { total: 0, byStatus: {}, codes: {}, slowestMs: 0 };
  const until = Date.now() + durationMs;
  const client = async (offset: number) => {
    for (let i = offset; Date.now() < until && result.total < maxRequests; i++) {
      result.total++;
      const a = await fixture
        .get(hosts[i % hosts.length] as string)
        .catch((): Answer => ({ status: 0, ms: 0 }));
      result.byStatus[a.status] = (result.byStatus[a.status] ?? 0) + 1;
      if (a.code) result.codes[a.code] = (result.codes[a.code] ?? 0) + 1;
      result.slowestMs = Math.max(result.slowestMs, a.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i)));
  return result;
}

/** Polls `check` every 50 ms until it holds or `withinMs` passed; returns the ms it took, or undefined. */
export async function within(withinMs: number, check: () => Promise<boolean>): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every container beats now (as each does every 15 s), so all are online when the store goes away. */
export async function beatAll(fixture: FaultFixture): Promise<void> {
  for (const c of CONTAINERS) {
    const a = await fixture.event(c, legacyWatchdogBody());
    if (a.status !== 200) throw new Error(`the watchdog of ${c} answered ${a.status} ${a.code}`);
  }
}

/** The messages of the log lines about the store, in order. */
export const storeLines = (fixture: FaultFixture) =>
  fixture.logs().filter((l) => typeof l.msg === 'string' && /^store /.test(l.msg as string));

export { legacyWatchdogBody, mapBody };
