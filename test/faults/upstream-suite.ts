/**
 * Fault suite, upstream and client part (issue 15, item 5), on a real gateway process (Node, Deno, Bun:
 * one small file each): an app that accepts and never answers, one that resets mid-body, a client that
 * vanishes mid-upload and one that vanishes mid-download, leaving with a FIN or a reset. Each case runs
 * several exchanges at once and asserts what the client saw, what the app saw
 * (test/support/fault-upstream.ts), what the access log said (`ACCESS_LOG=all`; each request names itself
 * with `X-Request-Id`, kept from a trusted loopback peer), and that nothing is held afterwards: no
 * connection left open at the app, the gateway's descriptors back where they were (a leak per exchange
 * would show as one descriptor or more each).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { hostOf, register } from '../proxy/proxy-suite.ts';
import { type FaultUpstream, startFaultUpstream } from '../support/fault-upstream.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { treeFds } from '../support/proc.ts';
import { rawExchange, statusOf } from '../support/raw-http.ts';

const MiB = 1024 * 1024;
/** Exchanges per case, at once. */
const EXCHANGES = 10;
/** Descriptors the gateway may hold beyond its baseline once a case is over (pooled, lazily made). */
const FD_SLACK = 3;
const HOST = hostOf('faults');

/**
 * Faults this suite found in the gateway, by runtime: the case still runs and must fail (`it.fails`), so
 * a fix shows as a failure asking for the entry to go. On Deno a client that vanishes mid-upload, after
 * the app's answer head was relayed, is held: with a FIN its connection stays in CLOSE-WAIT (seen for
 * over 50 s), with a reset its descriptor stays open (8 of 10 after 40 s), and the access log blames
 * the upstream (`cut: upstream`, GW_ERR_UPSTREAM_FAILED) for 9 exchanges in 10. The cause is the JS stream
 * the upload goes through on its way to fetch (gateway/README.md, the runtime table).
 */
const KNOWN: Partial<Record<Runtime, readonly string[]>> = { deno: ['upload-fin', 'upload-reset'] };

const tags = (prefix: string) => Array.from({ length: EXCHANGES }, (_, i) => `${prefix}-${i}`);
const request = (method: string, path: string, tag: string, extra = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: ${HOST}\r\nAccept: application/json\r\nX-Fault-Tag: ${tag}\r\n` +
  `X-Request-Id: ${tag}\r\n${extra}\r\n`;

/** The body bytes after the head of a raw answer. */
const bodyOf = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);

/** The access log's line for a request id (JSON lines on the gateway's stderr), or undefined. */
function accessLine(output: string, requestId: string): Record<string, unknown> | undefined {
  for (const line of output.split('\n'))
    if (line.includes('"msg":"access"') && line.includes(`"requestId":"${requestId}"`))
      return JSON.parse(line) as Record<string, unknown>;
  return undefined;
}

/** A client on a raw socket that counts what it received. */
function openClient(port: number, text: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = 0;
  socket.on('data', (d) => (received += d.length));
  socket.on('error', () => {});
  socket.write(text);
  return { socket, received: () => received };
}

/** A client leaves with a FIN (a closed tab) or a reset (a dropped connection). */
type Leaving = 'fin' | 'reset';
function vanish(socket: Socket, how: Leaving): void {
  if (how === 'reset') socket.resetAndDestroy();
  else socket.destroy();
}

export function upstreamFaultSuite(runtime: Runtime): void {
  describe(`upstream and client faults on ${runtime}`, { timeout: 60_000 }, () => {
    let gw: GatewayProcess;
    let app: FaultUpstream;
    const caseOf = (name: string) => (KNOWN[runtime]?.includes(name) ? it.fails : it);
    /**
     * The app holds no connection and the gateway is back to the descriptors it had when the case began
     * (a case's own leak is not blamed on the next one). Bounded polls with a wide
     * margin: on Node, undici 7 opens a new connection after an exchange is aborted (nodejs/undici#5845)
     * that stays idle in the pool until its keep-alive timeout (4 s) closes it.
     */
    const nothingHeld = async (before: number) => {
      await expect.poll(() => app.openSockets(), { timeout: 10_000, interval: 100 }).toBe(0);
      await expect
        .poll(() => treeFds(gw.pid) - before, { timeout: 10_000, interval: 100 })
        .toBeLessThanOrEqual(FD_SLACK);
    };
    /** Every request's access line matches `expected` (polled: the log is written in batches). */
    const logged = async (names: string[], expected: Record<string, unknown>) => {
      await expect
        .poll(() => names.map((tag) => accessLine(gw.output(), tag)), { timeout: 5_000 })
        .toEqual(names.map((tag) => expect.objectContaining({ requestId: tag, ...expected })));
    };

    beforeAll(async () => {
      app = await startFaultUpstream();
      gw = await startGateway(runtime, { UPSTREAM_HEADERS_TIMEOUT: '1s', ACCESS_LOG: 'all' });
      await register(gw, 'faults', 'app', app.port);
      // Warm: the pool and whatever the runtime makes lazily on a first proxied request.
      const warm = await rawExchange(gw.port, request('GET', '/', 'warm', 'Connection: close\r\n'));
      expect(statusOf(warm.data)).toBe(200);
    });
    afterAll(async () => {
      await gw?.stop();
      await app?.close();
    });

    it('answers 504 GW_ERR_UPSTREAM_TIMEOUT for an app that accepts and never answers, and lets go of it', async () => {
      const names = tags('silent');
      const before = treeFds(gw.pid);
      const started = performance.now();
      const answers = await Promise.all(
        names.map((tag) =>
          rawExchange(gw.port, request('GET', '/silent', tag, 'Connection: close\r\n'), { waitMs: 10_000 }),
        ),
      );
      const waited = performance.now() - started;
      for (const answer of answers) {
        expect(statusOf(answer.data), answer.data.slice(0, 200)).toBe(504);
        expect(JSON.parse(bodyOf(answer.data))).toMatchObject({ error: { code: 'GW_ERR_UPSTREAM_TIMEOUT' } });
        expect(answer.closed).toBe(true);
      }
      // The deadline (1 s) was waited for, and answered: not the 10 s this test would wait for a hang.
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(8_000);
      await logged(names, { status: 504, by: 'gateway', code: 'GW_ERR_UPSTREAM_TIMEOUT' });
      await nothingHeld(before);
    });

    it.each([
      ['with a Content-Length', 'cut', ''],
      ['chunked', 'cut-chunked', '?chunked=1'],
    ])(
      'cuts the answer of an app that resets mid-body (%s): the client sees it cut, not hung',
      async (_, prefix, query) => {
        const names = tags(prefix);
        const before = treeFds(gw.pid);
        const answers = await Promise.all(
          names.map((tag) =>
            rawExchange(gw.port, request('GET', `/cut${query}`, tag, 'Connection: close\r\n'), {
              waitMs: 10_000,
            }),
          ),
        );
        for (const answer of answers) {
          expect(statusOf(answer.data), answer.data.slice(0, 200)).toBe(200);
          expect(answer.closed).toBe(true); // closed by the gateway, long before the 10 s wait
          const body = bodyOf(answer.data);
          if (query)
            expect(body.endsWith('\r\n0\r\n\r\n'), 'a chunked answer must not look complete').toBe(false);
          else expect(body.length).toBeLessThan(MiB);
          expect(body.length).toBeGreaterThan(0); // the cut came mid-body, after bytes were relayed
        }
        // Logged without its query string: queries carry tokens and are never logged.
        await logged(names, {
          status: 200,
          by: 'app',
          code: 'GW_ERR_UPSTREAM_FAILED',
          cut: 'upstream',
          path: '/cut',
        });
        await nothingHeld(before);
      },
    );

    for (const how of ['fin', 'reset'] as const) {
      caseOf(`upload-${how}`)(
        `lets the app see an upload end when its client vanishes mid-upload (${how})`,
        async () => {
          const names = tags(`upload-${how}`);
          const before = treeFds(gw.pid);
          const clients = names.map((tag) =>
            openClient(gw.port, request('POST', '/upload', tag, `Content-Length: ${64 * MiB}\r\n`)),
          );
          for (const { socket } of clients) socket.write(Buffer.alloc(256 * 1024, 'u'));
          // The upload is under way at the app before the clients vanish.
          await expect.poll(() => names.every((tag) => app.received(tag) > 0), { timeout: 5_000 }).toBe(true);
          for (const { socket } of clients) vanish(socket, how);
          // Never a clean end: the app must not take half a file for all of it.
          await expect
            .poll(() => names.map((tag) => app.outcome(tag)), { timeout: 5_000 })
            .toEqual(names.map(() => 'aborted'));
          for (const tag of names) expect(app.received(tag)).toBeLessThan(64 * MiB);
          // Status and answerer differ (Node: 499 by the gateway, its front end had not sent the app's head
          // yet; Bun: the app's 200); every runtime must say the client cut it.
          await logged(names, { cut: 'client' });
          await nothingHeld(before);
        },
      );

      caseOf(`download-${how}`)(
        `cancels the upstream exchange when its client vanishes mid-download (${how})`,
        async () => {
          const names = tags(`download-${how}`);
          const before = treeFds(gw.pid);
          const clients = names.map((tag) => openClient(gw.port, request('GET', '/download', tag)));
          await expect
            .poll(() => clients.every((c) => c.received() > 256 * 1024), { timeout: 5_000 })
            .toBe(true);
          for (const { socket } of clients) vanish(socket, how);
          await expect
            .poll(() => names.map((tag) => app.outcome(tag)), { timeout: 5_000 })
            .toEqual(names.map(() => 'client gone'));
          await logged(names, { status: 200, by: 'app', cut: 'client' });
          await nothingHeld(before);
        },
      );
    }
  });
}
