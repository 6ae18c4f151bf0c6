/**
 * SIGTERM drains the real gateway process on Node, Deno and Bun (issue 16, point 5): /readyz and /healthz
 * answer 503 at once while proxied requests (one in flight, new ones) are still answered; at the end of
 * DRAIN_GRACE an open WebSocket gets a close frame with 1001 (Going Away; Deno's server socket sends it
 * too), never a reset; then the process exits, with 'draining' and 'drained' lines. The pool (of one, on
 * the embedded store) lists it as draining meanwhile.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { hostOf, register } from '../proxy/proxy-suite.ts';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const GRACE_MS = 3_000;
/** Exit after the grace: closing WebSockets (at most 2 s for their frames) and the listeners. */
const EXIT_BOUND_MS = GRACE_MS + 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls `ok` every 50 ms until it holds or `ms` pass; returns whether it held. */
async function eventually(ms: number, ok: () => Promise<boolean> | boolean): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await ok()) return true;
  return ok();
}

describe.each(RUNTIMES)('drain on %s', (runtime: Runtime) => {
  let up: TestUpstream;
  let gw: GatewayProcess;

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway(runtime, { DRAIN_GRACE: `${GRACE_MS}ms` });
    await register(gw, 'drain1', 'web', up.port);
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('fails /readyz at once, keeps serving through the grace, closes WebSockets with 1001, exits', async () => {
    const readyz = () => request(`http://127.0.0.1:${gw.adminPort}/readyz`);
    expect((await readyz()).statusCode).toBe(200);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers: { host: hostOf('drain1') } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    // In flight when the signal comes: its second event only 1.5 s later, inside the grace.
    const inFlight = request(`${gw.base}/sse?delay=1500`, { headers: { host: hostOf('drain1') } }).then(
      async (res) => ({ status: res.statusCode, body: await res.body.text() }),
    );
    await sleep(200);

    process.kill(-gw.pid, 'SIGTERM');
    expect(await eventually(2_000, async () => (await readyz()).statusCode === 503)).toBe(true);
    const notReady = await readyz();
    expect(notReady.statusCode).toBe(503);
    expect(await notReady.body.json()).toMatchObject({ status: 'not ready', checks: { drain: 'draining' } });
    // /healthz too, on both listeners: a load balancer told to check /healthz (README) stops sending as well.
    for (const base of [gw.base, `http://127.0.0.1:${gw.adminPort}`]) {
      const health = await request(`${base}/healthz`);
      expect(health.statusCode).toBe(503);
      expect(await health.body.json()).toEqual({ status: 'draining' });
    }

    // The pool sees it draining (peers and new agent configs leave it out).
    const gateways = await request(`http://127.0.0.1:${gw.adminPort}/admin/gateways`);
    expect(await gateways.body.json()).toEqual([
      expect.objectContaining({ draining: true, state: 'draining' }),
    ]);

    // A request that still arrives is answered, and so is the one in flight.
    const late = await request(`${gw.base}/late`, { headers: { host: hostOf('drain1') } });
    expect(late.statusCode).toBe(200);
    expect(await late.body.text()).toContain('/late');
    expect(await inFlight).toEqual({ status: 200, body: 'data: first\n\ndata: second\n\n' });
    // The WebSocket is still open and relaying until the grace ends.
    const echoed = new Promise((r) => ws.once('message', (d) => r(String(d))));
    ws.send('still here');
    expect(await echoed).toBe('still here');

    const close = await closed;
    expect(close.code).toBe(1001); // a close frame: a reset would be 1006
    expect(await eventually(EXIT_BOUND_MS, () => !alive(gw.pid))).toBe(true);
    const lines = gw
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'draining')).toMatchObject({ signal: 'SIGTERM', graceMs: GRACE_MS });
    expect(lines.find((l) => l.msg === 'drained')).toMatchObject({ webSocketsClosed: 1, webSocketsLeft: 0 });
  });
});
