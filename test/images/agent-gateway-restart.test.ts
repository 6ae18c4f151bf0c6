/**
 * Issue 15, item 6: the compiled agent (`run`, outside a VPN: test/support/agent-outside-vpn.ts) against a
 * real gateway process (embedded store) that is killed and started again on the same port and data
 * directory, so it has lost every registration. The tunnel comes up again as it would after a gateway
 * restart; the service must be served again within a few seconds, not at the next 15 s refresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledAgent, compileAgent } from '../e2e/agent/agent-binary.ts';
import type { LogRecord } from '../e2e/agent/agent-container.ts';
import { encodeSettings } from '../e2e/support/settings.ts';
import { type AgentOutsideVpn, runAgentOutsideVpn } from '../support/agent-outside-vpn.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { freePort } from '../support/ports.ts';
import { type StaleLink, startStaleLink } from '../support/stale-link.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ORG = 'o1';
const PROJECT = 'p1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (every 100 ms, bounded in time) until it is true; the error names what never happened. */
async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const fields = (records: LogRecord[], message: string) => records.filter((r) => r.message === message);

describe('the agent after a gateway restart', () => {
  let binary: CompiledAgent;
  let app: TestUpstream;
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  const gateways: GatewayProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /** A gateway on the same port and data directory each time (its development key, so tokens verify). */
  const startOurGateway = async () => {
    const gw = await startGateway('node', env);
    gateways.push(gw);
    return gw;
  };
  /** A crash: SIGKILL to the whole process group, then wait until the port refuses. */
  const crash = async (gw: GatewayProcess) => {
    process.kill(-gw.pid, 'SIGKILL');
    await waitFor(
      'the gateway gone',
      () =>
        fetch(`${gw.base}/healthz`).then(
          () => false,
          () => true,
        ),
      10_000,
    );
  };
  /** Does the proxy serve the agent's service? */
  const served = (containerId: string) =>
    request(`http://127.0.0.1:${port}/`, {
      headers: { host: `uc-${containerId}.org-${ORG}.localhost` },
    }).then(
      async (res) =>
        res.statusCode === 200 && ((await res.body.json()) as { upstream?: string }).upstream === 'app',
      () => false,
    );
  const runAgent = async (containerId: string, eventsPort: number): Promise<AgentOutsideVpn> => {
    const token = await (gateways[0] as GatewayProcess).token(containerId, PROJECT, ORG);
    const agent = await runAgentOutsideVpn({
      binary: binary.path,
      settings: encodeSettings({ containerId, projectId: PROJECT, token, gatewayFqdn: 'localhost' }),
      eventsUrl: `http://127.0.0.1:${eventsPort}/collab/event`,
      services: [`web:${app.port}:public`],
    });
    cleanups.push(() => agent.stop());
    await waitFor('the first registration', () => served(containerId), 20_000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- agent:\n${agent.output().slice(-3000)}`);
    });
    return agent;
  };

  beforeAll(async () => {
    binary = await compileAgent();
    app = await startUpstream(0, 'app');
    dataDir = mkdtempSync(join(tmpdir(), 'dg-gw-restart-'));
    port = await freePort();
    env = { PORT: String(port), ADMIN_PORT: String(await freePort()), DATA_DIR: dataDir };
  }, 120_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const gw of gateways.splice(0)) await gw.stop();
  });
  afterAll(async () => {
    await app?.close();
    binary?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('retries a registration reset on a dead kept-alive connection at once, on a fresh one', {
    timeout: 90_000,
  }, async () => {
    const gw = await startOurGateway();
    // The agent reaches the gateway through a link that, like a tunnel that was down, loses the closes.
    const link: StaleLink = await startStaleLink(port);
    cleanups.push(() => link.close());
    const agent = await runAgent('agent-reset', link.port);
    // The gateway dies and takes the tunnel with it; it comes back without the registration.
    agent.dropTunnel();
    await crash(gw);
    await startOurGateway();
    expect(await served('agent-reset')).toBe(false);
    const seen = agent.records().length;
    agent.restoreTunnel();
    await waitFor(
      'the tunnel up again',
      () => fields(agent.records().slice(seen), 'tunnel up').length > 0,
      20_000,
    );
    const tunnelUp = Date.parse(fields(agent.records().slice(seen), 'tunnel up')[0]?.time ?? '');
    await waitFor('the service served again', () => served('agent-reset'), 12_000);
    const took = Date.now() - tunnelUp;
    const after = agent.records().slice(seen);
    const context = `\n--- agent:\n${agent.output().slice(-3000)}`;
    // The scenario happened: the registration met the dead connection...
    expect(link.resets, context).toContain('POST /collab/event HTTP/1.1');
    expect(fields(after, 'service registration failed'), context).toContainEqual(
      expect.objectContaining({ service: 'web', failure: 'reset' }),
    );
    // ...and was retried at once instead of at the next refresh, 15 s later.
    expect(fields(after, 'retry scheduled'), context).toContainEqual(
      expect.objectContaining({ task: 'service registration', delayMs: 0 }),
    );
    expect(took, context).toBeLessThan(3_000);
    expect(agent.output()).not.toContain('eyJ'); // no token in the agent's logs
  });

  it('retries a refused registration with back-off until the restarted gateway answers', {
    timeout: 90_000,
  }, async () => {
    const gw = await startOurGateway();
    const agent = await runAgent('agent-refused', port);
    agent.dropTunnel();
    await crash(gw);
    const seen = agent.records().length;
    agent.restoreTunnel(); // the tunnel comes back before the gateway does
    const failed = () => fields(agent.records().slice(seen), 'service registration failed');
    await waitFor('a failed registration', () => failed().length > 0, 10_000);
    await startOurGateway();
    const ready = Date.now();
    await waitFor('the service served again', () => served('agent-refused'), 14_000);
    const took = Date.now() - ready;
    const retries = fields(agent.records().slice(seen), 'retry scheduled').filter(
      (r) => r.task === 'service registration',
    );
    const context = `\n--- agent:\n${agent.output().slice(-3000)}`;
    // Back-off from 1 s (jittered), far below the 15 s refresh; none at once for a refusal.
    expect(took, context).toBeLessThan(6_000);
    expect(failed()[0], context).toMatchObject({ service: 'web', failure: 'refused' });
    expect(retries.length, context).toBeGreaterThanOrEqual(1);
    for (const r of retries) expect(Number(r.delayMs), context).toBeGreaterThanOrEqual(750);
  });
});
