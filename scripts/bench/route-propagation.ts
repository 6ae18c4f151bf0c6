/**
 * Route change to served on a second gateway process: gateway A takes a map event that moves a route to
 * another upstream; we time from A's 200 until gateway B forwards to the new upstream (B polled in a tight
 * loop on keep-alive). Both gateways share one redis-server. Goal: p99 under 10 ms. With --new-hosts
 * each change registers a service never seen before, and B is polled for its new hostname (B asked for
 * it before the change: a negative cache entry, as a browser that arrived early leaves one).
 * Usage: npx tsx scripts/bench/route-propagation.ts [--changes 200] [--new-hosts]
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { mapBody, ORG, PROJECT } from '../../test/support/control.ts';
import { startGateway } from '../../test/support/gateway-process.ts';
import { startRedis } from '../../test/support/redis-server.ts';
import { startUpstream } from '../../test/support/upstream.ts';

const { values } = parseArgs({
  options: { changes: { type: 'string', default: '200' }, 'new-hosts': { type: 'boolean', default: false } },
});
const changes = Math.min(Number(values.changes), 2000);
const host = `uc-prop.org-${ORG}.localhost`;

const redis = await startRedis();
const ups = await Promise.all([startUpstream(), startUpstream()]);
const a = await startGateway('node', { REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
const b = await startGateway('node', { REDIS_URL: redis.url, LOG_LEVEL: 'warn', ROUTE_CACHE_TTL: '10m' });
try {
  const token = await a.token('prop', PROJECT, ORG);
  const control = new Pool(a.base, { connections: 1 });
  const viaB = new Pool(b.base, { connections: 1 });
  const post = async (body: string) => {
    const res = await control.request({
      method: 'POST',
      path: '/collab/event',
      body,
      headers: { authorization: token },
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`event answered ${res.statusCode}`);
  };
  let last = 0;
  for (const [i, up] of ups.entries()) up.server.prependListener('request', () => (last = i));
  await post(mapBody('web', (ups[0] as { port: number }).port));
  await post('{"event":{"type":"user-container:watchdog","system":{}}}');
  const samples: number[] = [];
  const get = async (hostname: string) => {
    const res = await viaB.request({ method: 'GET', path: '/', headers: { host: hostname } });
    await res.body.dump();
    return res.statusCode;
  };
  for (let i = 1; i <= changes; i++) {
    const target = values['new-hosts'] ? 0 : i % 2;
    const service = values['new-hosts'] ? `n${i}` : 'web';
    const hostname = values['new-hosts'] ? `uc-prop--n${i}.org-${ORG}.localhost` : host;
    if (values['new-hosts'] && (await get(hostname)) !== 404) throw new Error(`${hostname} known before`);
    await post(mapBody(service, (ups[target] as { port: number }).port));
    const t0 = performance.now();
    for (let polls = 0; polls < 10_000; polls++) if ((await get(hostname)) === 200 && last === target) break;
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  const q = (p: number) =>
    (samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] as number).toFixed(2);
  console.log(
    `${values['new-hosts'] ? 'new hostname' : 'route change'} -> served on gateway B, ${changes} changes: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`,
  );
  await control.close();
  await viaB.close();
} finally {
  await Promise.all([a.stop(), b.stop()]);
  await Promise.all(ups.map((u) => u.close()));
  await redis.stop();
}
