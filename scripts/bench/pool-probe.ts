/**
 * The measuring side of the pool benchmarks, run by them inside the bed's front namespace (on the
 * backbone, where every gateway's public listener is); never run by hand. Input: one JSON argument;
 * output: one JSON line on stdout. Every loop is bounded in count and time.
 *   routes:   register services through the gateways in turn (map events with a container token) and
 *             time until each gateway answers 200 for the new hostname
 *   failover: poll each host through the surviving gateways until it answers its name again
 *   alternate: one keep-alive connection, requests alternating between two hosts through one gateway
 *             (each remote request next to a local one: the finest pairing on a noisy machine)
 */
import { Pool } from 'undici';
import { z } from 'zod';
import { serviceHostname } from '../../shared/hostnames.ts';

const Routes = z.object({
  mode: z.literal('routes'),
  gateways: z.array(z.string()).min(1),
  token: z.string(),
  containerId: z.string(),
  orgId: z.string(),
  domain: z.string(),
  port: z.number().int(),
  changes: z.number().int().min(1).max(2_000),
  /** Services registered together in one change (all posted at once). */
  together: z.number().int().min(1).max(200),
  waitMs: z.number().int().max(60_000),
  /** Service names are `<prefix>r<i>x<k>`: each run registers new hostnames. */
  prefix: z.string().regex(/^[a-z0-9]*$/),
});
const Failover = z.object({
  mode: z.literal('failover'),
  via: z.array(z.string()).min(1),
  targets: z.array(z.object({ host: z.string(), body: z.string() })),
  intervalMs: z.number().int().min(20),
  deadlineMs: z.number().int().max(600_000),
});
const Alternate = z.object({
  mode: z.literal('alternate'),
  gateway: z.string(),
  hosts: z.tuple([z.string(), z.string()]),
  requests: z.number().int().min(1).max(200_000),
  deadlineMs: z.number().int().max(600_000),
});
const Input = z.discriminatedUnion('mode', [Routes, Failover, Alternate]);

const PORT = 8080;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const input = Input.parse(JSON.parse(process.argv[2] ?? '{}'));

async function get(pool: Pool, host: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  try {
    const res = await pool.request({
      method: 'GET',
      path: '/whoami',
      headers: { host },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { status: res.statusCode, body: await res.body.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

async function routes(o: z.infer<typeof Routes>) {
  const pools = o.gateways.map((g) => new Pool(`http://${g}:${PORT}`, { connections: o.together }));
  const samples: { sinceAnswer: number[]; sincePost: number[]; byGateway: number[][] } = {
    sinceAnswer: [],
    sincePost: [],
    byGateway: o.gateways.map(() => []),
  };
  const deadline = Date.now() + o.changes * (o.waitMs + 1_000);
  for (let i = 0; i < o.changes && Date.now() < deadline; i++) {
    const via = pools[i % pools.length] as Pool;
    const names = Array.from({ length: o.together }, (_, k) => `${o.prefix}r${i}x${k}`);
    const posted = performance.now();
    await Promise.all(
      names.map(async (name) => {
        const body = `{"event":{"type":"user-container:map-http-service","port":${o.port},"name":"${name}","access":"public"}}`;
        const res = await via.request({
          method: 'POST',
          path: '/collab/event',
          body,
          headers: { authorization: o.token, 'content-type': 'application/json' },
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`map event answered ${res.statusCode}`);
      }),
    );
    const answered = performance.now();
    const seen = await Promise.all(
      pools.map(async (pool) => {
        const times = await Promise.all(
          names.map(async (name) => {
            const host = serviceHostname({
              containerId: o.containerId,
              orgId: o.orgId,
              domain: o.domain,
              service: name,
            });
            for (let polls = 0; polls < 100_000 && performance.now() - answered < o.waitMs; polls++)
              if ((await get(pool, host, o.waitMs)).status === 200) return performance.now();
            throw new Error(`${host} not served in ${o.waitMs} ms`);
          }),
        );
        return Math.max(...times);
      }),
    );
    for (const [g, at] of seen.entries()) samples.byGateway[g]?.push(at - answered);
    samples.sinceAnswer.push(Math.max(...seen) - answered);
    samples.sincePost.push(Math.max(...seen) - posted);
  }
  await Promise.all(pools.map((p) => p.close()));
  return samples;
}

async function failover(o: z.infer<typeof Failover>) {
  const pools = o.via.map((g) => new Pool(`http://${g}:${PORT}`, { connections: 64 }));
  const started = Date.now();
  const servedAt = await Promise.all(
    o.targets.map(async (t, k) => {
      await sleep((k * o.intervalMs) / Math.max(1, o.targets.length));
      for (let attempt = 0; Date.now() - started < o.deadlineMs; attempt++) {
        const answer = await get(pools[attempt % pools.length] as Pool, t.host, 2_000);
        if (answer.status === 200 && answer.body === t.body) return { host: t.host, at: Date.now(), attempt };
        await sleep(o.intervalMs);
      }
      return { host: t.host, at: null, attempt: -1 };
    }),
  );
  await Promise.all(pools.map((p) => p.close()));
  return { started, servedAt };
}

async function alternate(o: z.infer<typeof Alternate>) {
  const pool = new Pool(`http://${o.gateway}:${PORT}`, { connections: 1 });
  const samples: [number[], number[]] = [[], []];
  let errors = 0;
  const started = Date.now();
  for (let i = 0; i < o.requests && Date.now() - started < o.deadlineMs; i++) {
    const k = i % 2;
    const t0 = performance.now();
    const answer = await get(pool, o.hosts[k] as string, 5_000);
    samples[k]?.push(performance.now() - t0);
    if (answer.status !== 200) errors++;
  }
  await pool.close();
  return { samples, errors };
}

const result =
  input.mode === 'routes'
    ? await routes(input)
    : input.mode === 'failover'
      ? await failover(input)
      : await alternate(input);
process.stdout.write(`${JSON.stringify(result)}\n`);
