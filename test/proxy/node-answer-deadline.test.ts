/**
 * UPSTREAM_HEADERS_TIMEOUT on Node is the gateway's own (server/answer-deadlines.ts), not undici's: it
 * must also cut a request that is still waiting for a connection to a container whose pool is full.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';
import { hostOf, register } from './proxy-suite.ts';

describe('upstream answer deadline on node', () => {
  let gw: GatewayProcess;
  let silent: Server;
  let up: TestUpstream;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => {});
    }).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    up = await startUpstream();
    gw = await startGateway('node', { UPSTREAM_HEADERS_TIMEOUT: '1s', UPSTREAM_CONNECTIONS: '1' });
    await register(gw, 'quiet', 'app', (silent.address() as { port: number }).port);
    await register(gw, 'fine', 'web', up.port);
  });
  afterAll(async () => {
    await gw?.stop();
    for (const s of accepted) s.destroy();
    silent?.close();
    await up?.close();
  });

  const get = (host: string) =>
    request(`${gw.base}/`, { headers: { host, accept: 'application/json' } }).then(async (res) => ({
      status: res.statusCode,
      body: (await res.body.json()) as { error?: { code?: string } },
    }));

  it('answers 504 to the request on the one connection and to the one queued behind it', async () => {
    const started = performance.now();
    const [first, queued] = await Promise.all([get(hostOf('quiet')), get(hostOf('quiet'))]);
    const waited = performance.now() - started;
    for (const answer of [first, queued]) {
      expect(answer.status).toBe(504);
      expect(answer.body.error?.code).toBe('GW_ERR_UPSTREAM_TIMEOUT');
    }
    // Not at once: the deadline was waited for (an upper bound would be a timing assertion).
    expect(waited).toBeGreaterThanOrEqual(900);
  });

  it('keeps serving afterwards, the full pool included', async () => {
    const fine = await request(`${gw.base}/`, { headers: { host: hostOf('fine') } });
    expect(fine.statusCode).toBe(200);
    await fine.body.dump();
    // The aborted exchanges freed the quiet pool's one connection: a new request gets it, and its own 504.
    expect((await get(hostOf('quiet'))).status).toBe(504);
    expect(gw.output()).not.toMatch(/uncaught|unhandled/i);
  });
});
