/**
 * Issue 16, the pool test bed end to end: three real gateways (each with its OpenVPN) on one Redis, HAProxy
 * as Stage 1, six containers spread over the gateways (uc1, uc2, uc5, uc6 legacy; uc3, uc4 the compiled
 * agent), all in network namespaces (test/e2e/support/pool-topology.ts). The tests share the bed and run in order:
 * connect, serve through every gateway, sign-in across gateways, revocation through another gateway,
 * kill -9 of a gateway, drain of a gateway under load.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDevKey } from '../../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../../gateway/control/dev-login.ts';
import { serviceHostname } from '../../../shared/hostnames.ts';
import { type CompiledAgent, compileAgent } from '../agent/agent-binary.ts';
import { launchChromiumIn, navigate } from '../support/chromium.ts';
import { curlIn } from '../support/curl-in.ts';
import { createPool, type Pool, preferredGateway } from '../support/pool-topology.ts';
import { waitUntil } from '../vpn/wait.ts';
import { openWebSocket, type PoolContainer, startPoolContainer, vpnAddressIn } from './pool-members.ts';
import { signInAcross } from './sign-in-walk.ts';

const DOMAIN = 'e2e.test';
const FQDN = `gw.${DOMAIN}`;
const ORG = 'poolorg';
const PROJECT = randomUUID();
/**
 * uc1, uc2, uc5, uc6: legacy; uc3 (also a `private` service with project access, for the sign-in), uc4:
 * agent. Container i prefers gateway ((i-1) mod 3)+1: legacy containers take it (uc1 gw1, uc2 and uc5 gw2,
 * uc6 gw3); agents list every gateway with remote-random and may be on any. uc6 is the container gw3 holds
 * whatever the agents chose (the drain test's load needs one).
 */
const KINDS = ['legacy', 'legacy', 'agent', 'agent', 'legacy', 'legacy'] as const;
const PRIVATE_HOST = serviceHostname({
  containerId: 'uc3_pool',
  orgId: ORG,
  domain: DOMAIN,
  service: 'private',
});

interface VpnClient {
  commonName: string;
  vpnAddress: string | null;
}

describe('a pool of three gateways on one store', () => {
  let pool: Pool;
  let agent: CompiledAgent;
  const members: PoolContainer[] = [];
  const addresses = new Map<string, string>();
  /** The gateway holding each container after the first test. */
  const holders = new Map<string, number>();

  const gw = (g: number) => {
    const member = pool.gateways[g - 1];
    if (!member) throw new Error(`no gateway ${g}`);
    return member;
  };
  const clientsOf = (g: number) => gw(g).gateway.admin<VpnClient[]>('/admin/vpn/clients');
  /** The gateway (1-based) whose OpenVPN holds `containerId`, or 0. */
  const holderOf = async (containerId: string, among = [1, 2, 3]) => {
    for (const g of among) {
      const list = await clientsOf(g).catch(() => [] as VpnClient[]);
      if (list.some((c) => c.commonName === containerId && c.vpnAddress)) return g;
    }
    return 0;
  };
  const outputs = () =>
    members.map((m) => `--- ${m.containerId}:\n${m.process.output().slice(-1200)}`).join('\n') +
    pool.gateways.map((g) => `\n--- ${g.gatewayId}:\n${g.gateway.output().slice(-1200)}`).join('');

  beforeAll(async () => {
    const [built, made] = await Promise.all([
      compileAgent(),
      createPool({ containers: KINDS.length, domain: DOMAIN, fqdn: FQDN }),
    ]);
    agent = built;
    pool = made;
    const caPem = await gw(1).gateway.frontCertificate();
    for (const [i, kind] of KINDS.entries()) {
      members.push(
        await startPoolContainer(pool, i + 1, {
          kind,
          containerId: `uc${i + 1}_pool`,
          projectId: PROJECT,
          orgId: ORG,
          domain: DOMAIN,
          fqdn: FQDN,
          agent: agent.path,
          caPem,
          services: i === 2 ? ['web:8080:public', 'private:8080:project'] : undefined,
        }),
      );
    }
  }, 150_000);

  afterAll(async () => {
    await pool?.destroy();
    agent?.dispose();
  }, 60_000);

  test('every container connects to the gateway it resolved first, with the address the store allocated, and registers through it', async () => {
    for (const [i, m] of members.entries()) {
      const address = await waitUntil(
        `${m.containerId} tunnel`,
        () => vpnAddressIn(pool, m.ns),
        60_000,
        outputs,
      );
      addresses.set(m.containerId, address);
      expect(await pool.redis('HGET', 'dg:{vpn}:addresses', m.containerId)).toBe(address);
      // A legacy container takes the first address its resolver gives; an agent's .ovpn lists every live
      // gateway with remote-random, so it may be on any.
      const expected = await waitUntil(`${m.containerId} held`, () => holderOf(m.containerId), 20_000);
      if (m.kind === 'legacy') expect(expected).toBe(preferredGateway(i + 1));
      holders.set(m.containerId, expected);
      // Its registration went over its own tunnel to 172.16.0.1: the gateway holding it took it.
      await waitUntil(
        `${m.containerId} registered through gw${expected}`,
        () => new RegExp(`service registered[^\\n]*${m.containerId}`).test(gw(expected).gateway.output()),
        40_000,
        outputs,
      );
    }
    expect(new Set(addresses.values()).size).toBe(members.length);
    // One PKI for the pool: every gateway's TLS front hands a (new) container the same CA.
    const probe = await pool.token({ containerId: 'probe_pool', projectId: PROJECT, orgId: ORG });
    const cas = await Promise.all(
      [1, 2, 3].map(async (g) => {
        const answer = await curlIn(gw(g).gateway.inGw, `https://${FQDN}/collab/vpn-config`, {
          headers: { Authorization: probe },
          resolve: [`${FQDN}:443:${gw(g).underlay}`],
        });
        expect(answer.status).toBe(200);
        return (JSON.parse(answer.body) as { certificates: Record<string, string> }).certificates['ca.crt'];
      }),
    );
    expect(new Set(cas).size).toBe(1);
  }, 120_000);

  test("every container's hostname answers through every gateway and through HAProxy, WebSocket included", async () => {
    for (const m of members) {
      for (const g of [1, 2, 3]) {
        const answer = await waitUntil(
          `${m.host} through gw${g}`,
          async () => {
            const a = await pool.direct(g, m.host, '/whoami');
            return a.status === 200 ? a : null;
          },
          15_000,
          outputs,
        );
        expect(answer.body).toBe(m.containerId);
      }
      for (let round = 0; round < 3; round++)
        expect((await pool.viaFront(m.host, '/whoami')).body).toBe(m.containerId);
      // One WebSocket per container, through a gateway that does not hold it.
      const holder = await holderOf(m.containerId);
      const other = (holder % 3) + 1;
      const ws = openWebSocket(pool, `ws://${m.host}:8080/echo`, gw(other).backbone);
      await ws.waitFor(new RegExp(`message ${m.containerId}(:| echoes) hello`));
      await ws.process.kill();
    }
  }, 90_000);

  test('Chromium through HAProxy loads a page and its WebSocket from a container held by each gateway', async () => {
    const chromium = await launchChromiumIn(pool.front.ns, {
      hostResolverRules: `MAP *.${DOMAIN} 127.0.0.1`,
    });
    try {
      const context = await chromium.browser.newContext();
      for (const m of members.slice(0, 3)) {
        const page = await context.newPage();
        const response = await navigate(page, `http://${m.host}/`);
        expect(response?.status()).toBe(200);
        expect(await page.textContent('#owner')).toContain(m.containerId);
        await page.waitForFunction(
          (owner) => document.getElementById('ws')?.textContent?.startsWith(owner) ?? false,
          m.containerId,
          { timeout: 10_000 },
        );
        await page.close();
      }
    } finally {
      await chromium.close();
    }
  }, 60_000);

  test('a browser sign-in started on gw1, logged in on gw2, authorised on gw3 and finished on gw1 works', async () => {
    const key = await readDevKey(gw(1).gateway.dataDir);
    if (!key) throw new Error('no development key');
    const userToken = await mintUserToken(key, {
      user_id: 'u-pool',
      username: 'pool-user',
      org: ORG,
      project: PROJECT,
      role: 'member',
    });
    const uc3 = members[2] as PoolContainer;
    const walk = await signInAcross(pool, {
      host: PRIVATE_HOST,
      fqdn: FQDN,
      userToken,
      gateways: { start: 1, login: 2, authorize: 3, callback: 1, after: holders.get(uc3.containerId) ?? 3 },
    });
    expect(walk.steps.map((s) => `${s.step}@gw${s.gateway} ${s.status}`)).toEqual([
      'start@gw1 302',
      'login@gw2 303',
      'authorize@gw3 302',
      'callback@gw1 302',
      `after@gw${holders.get(uc3.containerId) ?? 3} 200`,
    ]);
    expect(walk.final.body).toBe(uc3.containerId);
  }, 30_000);
  test('revoking uc5 (held by gw2) through gw3 cuts it off within 2 s, on every gateway', async () => {
    const uc5 = members[4] as PoolContainer;
    expect(await holderOf(uc5.containerId)).toBe(2);
    const mark = uc5.process.output().length;
    const revokedAt = Date.now();
    await gw(3).gateway.admin(`/admin/containers/${uc5.containerId}/revoke`, 'POST');
    let last = '';
    await waitUntil(
      'uc5 cut off: OpenVPN halted, tun0 gone, its hostname 404 through every gateway',
      async () => {
        const state = {
          tun0: await vpnAddressIn(pool, uc5.ns),
          halted: /server-pushed-halt/.test(uc5.process.output().slice(mark)),
          statuses: await Promise.all(
            [1, 2, 3].map(async (g) => (await pool.direct(g, uc5.host, '/whoami')).status),
          ),
        };
        last = JSON.stringify(state);
        return state.tun0 === null && state.halted && state.statuses.every((x) => x === 404);
      },
      2_000,
      () => `last: ${last}${outputs()}`,
    );
    console.info(`uc5 cut off ${Date.now() - revokedAt} ms after the revoke call on gw3`);
  }, 30_000);

  test('kill -9 of gw1: the containers it held (uc1, legacy, at least) come back through gw2/gw3 with the same addresses, no route rewritten, the others never notice', async () => {
    const live = members.filter((m) => m.containerId !== 'uc5_pool'); // uc5 was revoked
    const moving = live.filter((m) => holders.get(m.containerId) === 1);
    const staying = live.filter((m) => holders.get(m.containerId) !== 1);
    expect(moving.map((m) => m.containerId)).toContain('uc1_pool');
    const version = await pool.redis('GET', 'dg:{rt}:version');
    const marks = staying.map((m) => m.process.output().length);
    // A bounded loop against the containers that stay: through their holder and through the other survivor.
    let failures = 0;
    let requests = 0;
    let looping = true;
    const loop = (async () => {
      const until = Date.now() + 90_000;
      while (looping && Date.now() < until) {
        for (const [m, g] of staying.flatMap((x) => [2, 3].map((via) => [x, via] as const))) {
          const answer = await pool.direct(g, m.host, '/whoami');
          requests++;
          if (answer.status !== 200) failures++;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const killedAt = Date.now();
    await gw(1).crash();
    const back: Record<string, number> = {};
    try {
      await Promise.all(
        moving.map(async (m) => {
          const g = await waitUntil(
            `${m.containerId} held by gw2 or gw3`,
            () => holderOf(m.containerId, [2, 3]),
            60_000,
            outputs,
          );
          back[m.containerId] = Date.now() - killedAt;
          expect(g).not.toBe(1);
          expect(await waitUntil(`${m.containerId} tun0`, () => vpnAddressIn(pool, m.ns))).toBe(
            addresses.get(m.containerId),
          );
          // Served again through both survivors.
          for (const via of [2, 3])
            await waitUntil(
              `${m.containerId} through gw${via}`,
              async () => (await pool.direct(via, m.host, '/whoami')).body === m.containerId,
              20_000,
              outputs,
            );
        }),
      );
    } finally {
      looping = false;
      await loop;
    }
    console.info(
      `back after kill -9 of gw1 (ms): ${JSON.stringify(back)}; bystander requests ${requests}, failed ${failures}`,
    );
    expect(await pool.redis('GET', 'dg:{rt}:version')).toBe(version);
    for (const m of moving)
      expect(await pool.redis('HGET', 'dg:{vpn}:addresses', m.containerId)).toBe(
        addresses.get(m.containerId),
      );
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThan(0);
    // The containers that stayed kept their tunnels: no new connection in their output.
    for (const [i, m] of staying.entries())
      expect(m.process.output().slice(marks[i])).not.toMatch(/Initialization Sequence Completed|tunnel up/);
  }, 120_000);

  test('drain (SIGTERM) of gw2 under load through HAProxy: zero failed requests, its WebSockets get 1001', async () => {
    // Load on the containers gw3 holds (a container gw2 holds moves with the drain, as after a kill).
    const onGw3: PoolContainer[] = [];
    for (const m of members.filter((x) => x.containerId !== 'uc5_pool'))
      if ((await holderOf(m.containerId, [2, 3])) === 3) onGw3.push(m);
    expect(onGw3.map((m) => m.containerId)).toContain('uc6_pool');
    expect(onGw3.length).toBeGreaterThan(0);
    // A WebSocket gw2 proxies to a container it holds itself (uc2): the drain closes it with 1001.
    const uc2 = members[1] as PoolContainer;
    expect(await holderOf(uc2.containerId, [2, 3])).toBe(2);
    const ws = openWebSocket(pool, `ws://${uc2.host}:8080/echo`, gw(2).backbone);
    await ws.waitFor(/message /);
    let failures = 0;
    let requests = 0;
    let looping = true;
    const loop = (async () => {
      const until = Date.now() + 60_000;
      while (looping && Date.now() < until) {
        const batch = await Promise.all(onGw3.map((m) => pool.viaFront(m.host, '/whoami', 5)));
        for (const [i, answer] of batch.entries()) {
          requests++;
          if (answer.body !== onGw3[i]?.containerId) failures++;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    const stopping = gw(2).gateway.stop();
    await ws.waitFor(/closed \d+/, 30_000);
    await stopping;
    await new Promise((r) => setTimeout(r, 1_000));
    looping = false;
    await loop;
    console.info(`drain of gw2: ${requests} requests through HAProxy, ${failures} failed`);
    expect(ws.process.output()).toMatch(/closed 1001/);
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThan(10);
  }, 90_000);
});
