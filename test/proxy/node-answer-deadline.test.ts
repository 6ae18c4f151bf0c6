/**
 * UPSTREAM_HEADERS_TIMEOUT on Node is the gateway's own (server/answer-deadlines.ts), not undici's: it
 * must also cut a request that is still waiting for a connection to a container whose pool is full.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
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
  /** Every byte the silent container was sent. */
  let received = '';

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
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

  it('never sends a request whose client left while it waited for a connection', async () => {
    received = '';
    const first = get(hostOf('quiet')); // holds the pool's one connection until its deadline
    // Late enough that its own deadline is still ahead when the first one's frees the connection.
    await new Promise((r) => setTimeout(r, 600));
    const leaving = connect(gw.port, '127.0.0.1');
    await new Promise((r) => leaving.once('connect', r));
    leaving.write(`GET /left HTTP/1.1\r\nHost: ${hostOf('quiet')}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    leaving.resetAndDestroy(); // RST: a FIN alone is a half-close, whose answer is still awaited
    expect((await first).status).toBe(504);
    // The connection freed by the timeout would have carried it: give the pool time to try.
    await new Promise((r) => setTimeout(r, 1000));
    expect(received).toContain('GET / HTTP/1.1');
    expect(received).not.toContain('/left');
  });
});
