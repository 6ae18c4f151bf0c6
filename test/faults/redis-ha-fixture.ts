/**
 * A real gateway on a highly available Redis (Sentinel or Cluster, given as environment) with containers
 * registered and their routes cached, plus what the failover tests ask of it: a bounded load, events, the
 * gateway's store log lines.
 */
import { Agent, request } from 'undici';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { CONTAINERS, FAULT_ENV, hostOf, type LoadResult } from './redis-fixture.ts';

export interface HaFixture {
  gw: GatewayProcess;
  upstream: TestUpstream;
  get(host: string): Promise<number>;
  /** A watchdog event (a store write) as `f1`: its status. */
  write(): Promise<number>;
  /** Every container beats now (as each does every 15 s), so all are online when the store fails. */
  beatAll(): Promise<void>;
  /** Messages and fields of the gateway's log lines about the store, in order. */
  storeLines(): Record<string, unknown>[];
  load(durationMs: number, concurrency?: number, maxRequests?: number): Promise<LoadResult>;
  stop(): Promise<void>;
}

const agent = new Agent({ connections: 16, keepAliveTimeout: 2_000 });

export async function startHaFixture(env: Record<string, string>): Promise<HaFixture> {
  const upstream = await startUpstream();
  // A cache TTL (300 ms) far shorter than the outage; liveness long enough that no container goes
  // offline once the store is back (the load runs past FAULT_ENV's 3 s).
  const gw = await startGateway('node', { ...env, ...FAULT_ENV, LIVENESS_TIMEOUT: '60s' });
  const tokens = new Map<string, string>();
  let lastCode = '';
  const send = async (url: string, init: Parameters<typeof request>[1]) => {
    const res = await request(url, { dispatcher: agent, headersTimeout: 20_000, ...init });
    const text = await res.body.text();
    if (res.statusCode !== 200) lastCode = /"code":"(\w+)"/.exec(text)?.[1] ?? '';
    return res.statusCode;
  };
  const event = (c: string, body: string) =>
    send(`${gw.base}/collab/event`, {
      method: 'POST',
      body,
      headers: { authorization: tokens.get(c) ?? '', 'content-type': 'application/json' },
    });
  const get = (host: string) => send(`${gw.base}/`, { headers: { host, accept: 'application/json' } });
  for (const c of CONTAINERS) {
    tokens.set(c, await gw.token(c, PROJECT, ORG));
    for (const body of [mapBody('web', upstream.port), legacyWatchdogBody()]) {
      const status = await event(c, body);
      if (status !== 200) throw new Error(`registering ${c} answered ${status}`);
    }
    if ((await get(hostOf(c))) !== 200) throw new Error(`${hostOf(c)} did not answer 200`);
  }
  return {
    gw,
    upstream,
    get,
    write: () => event('f1', legacyWatchdogBody()).catch(() => 0),
    async beatAll() {
      for (const c of CONTAINERS) {
        const status = await event(c, legacyWatchdogBody());
        if (status !== 200) throw new Error(`the watchdog of ${c} answered ${status}`);
      }
    },
    storeLines: () =>
      gw
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => typeof l.msg === 'string' && /^store /.test(l.msg)),
    async load(durationMs, concurrency = 4, maxRequests = 20_000) {
      const result: LoadResult = { total: 0, byStatus: {}, codes: {}, slowestMs: 0 };
      const until = Date.now() + durationMs;
      const hosts = CONTAINERS.map(hostOf);
      const client = async (offset: number) => {
        for (let i = offset; Date.now() < until && result.total < maxRequests; i++) {
          result.total++;
          const status = await get(hosts[i % hosts.length] as string).catch(() => 0);
          result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
          if (status !== 200) result.codes[lastCode] = (result.codes[lastCode] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i)));
      return result;
    },
    async stop() {
      await gw.stop();
      await upstream.close();
    },
  };
}

/** Polls a write every 100 ms until it is accepted or `withinMs` passed: the ms it took, or undefined. */
export async function writesResume(f: HaFixture, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await f.write()) === 200) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}
