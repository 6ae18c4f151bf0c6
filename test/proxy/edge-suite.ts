/**
 * The edge on every runtime (issue 20): what the Node front end refuses is refused on Deno and Bun too,
 * before anything is forwarded, and where a runtime parses a request away before the gateway sees it,
 * the behaviour gateway/README.md's runtime table documents. Raw bytes to a real gateway process; a
 * recording app says what reached it.
 */
import { createServer, type Server } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { parseResponse, rawExchange } from '../support/raw-http.ts';
import { hostOf } from './proxy-suite.ts';

interface Seen {
  app: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Two apps (`a` behind c1, `b` behind c2) recording every request they get, answering its target. */
async function recordingApps(): Promise<{ servers: Server[]; ports: number[]; seen: Seen[] }> {
  const seen: Seen[] = [];
  const servers = ['a', 'b'].map((app) =>
    createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ app, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.end(`${app} ${req.url}`);
      });
    }),
  );
  for (const s of servers)
    s.on('connect', (req, socket) => {
      seen.push({ app: '?', method: 'CONNECT', url: req.url ?? '', headers: req.headers, body: '' });
      socket.destroy();
    });
  for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { servers, ports: servers.map((s) => (s.address() as AddressInfo).port), seen };
}

/** All the answers' statuses in raw HTTP/1.1 text. */
const statuses = (raw: string) => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

export function edgeSuite(runtime: Runtime): void {
  describe(`edge on ${runtime}`, () => {
    let gw: GatewayProcess;
    let apps: Awaited<ReturnType<typeof recordingApps>>;
    const web = hostOf('c1');

    /** One raw exchange: the first answer's status and code, whether the connection closed. */
    async function send(text: string) {
      const { data, closed } = await rawExchange(gw.port, text, { waitMs: 2000 });
      const res = parseResponse(data);
      let code: string | undefined;
      try {
        code = (JSON.parse(res?.body ?? '') as { error?: { code?: string } }).error?.code;
      } catch {}
      return { data, closed, status: res?.status ?? 0, code };
    }

    /** Node's refusal: 400 GW_ERR_BAD_REQUEST (Bun answers a few itself, without a body), nothing forwarded. */
    async function expectRefused(text: string, opts: { byRuntime?: boolean } = {}) {
      const r = await send(text);
      expect(r.status, r.data).toBe(400);
      if (!opts.byRuntime) expect(r.code, r.data).toBe('GW_ERR_BAD_REQUEST');
      expect(apps.seen).toEqual([]);
      return r;
    }

    beforeAll(async () => {
      apps = await recordingApps();
      gw = await startGateway(runtime, { TRUSTED_PROXIES: '192.0.2.1', CLIENT_IDLE_TIMEOUT: '3s' });
      const post = async (container: string, event: object) => {
        const authorization = await gw.token(container, PROJECT, ORG);
        const body = JSON.stringify({ event });
        const res = await fetch(`${gw.base}/collab/event`, {
          method: 'POST',
          headers: { authorization },
          body,
        });
        expect(res.status).toBe(200);
      };
      for (const [container, port] of [
        ['c1', apps.ports[0]],
        ['c2', apps.ports[1]],
      ] as const) {
        await post(container, {
          type: 'user-container:map-http-service',
          name: 'web',
          port,
          access: 'public',
        });
        await post(container, { type: 'user-container:watchdog', system: {} });
      }
    });
    beforeEach(() => void apps.seen.splice(0));
    afterAll(async () => {
      await gw?.stop();
      for (const s of apps?.servers ?? []) s.closeAllConnections();
      for (const s of apps?.servers ?? []) await new Promise((r) => s.close(r));
    });

    it('point 1: pipelined requests to a container host are both answered in order (Bun: neither is forwarded)', async () => {
      const head = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${web}\r\n${extra}\r\n`;
      const post = `POST /p1 HTTP/1.1\r\nHost: ${web}\r\nContent-Length: 5\r\n\r\nhello`;
      for (const first of [head('/p1'), post]) {
        // A request alone first: the gateway then holds a warm connection to the app, which Bun's fetch
        // would write the next request to before the client's connection is seen gone.
        expect(statuses((await rawExchange(gw.port, head('/one', 'Connection: close\r\n'))).data)).toEqual([
          200,
        ]);
        apps.seen.splice(0);
        const { data, closed } = await rawExchange(gw.port, first + head('/p2', 'Connection: close\r\n'), {
          waitMs: 3000,
        });
        if (runtime === 'bun') {
          // Bun.serve closes the connection with no answer (no hook: bun-pipelining.ts); the gateway sends
          // nothing on, so no request runs with its answer lost.
          expect(data).toBe('');
          expect(closed).toBe(true);
          expect(apps.seen).toEqual([]);
        } else {
          expect(statuses(data)).toEqual([200, 200]);
          expect(data.indexOf('a /p1')).toBeLessThan(data.indexOf('a /p2'));
          expect(apps.seen.map((s) => s.url)).toEqual(['/p1', '/p2']);
        }
      }
    });

    it('a refusal at the edge is a security event: one line naming the reason and the peer, and counted', async () => {
      const count = async () => {
        const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
        return Number(/^gateway_security_events_total\{reason="edge_refused"\} (\d+)$/m.exec(text)?.[1]);
      };
      const events = () =>
        gw
          .output()
          .slice(outputBefore)
          .split('\n')
          .filter((l) => l.startsWith('{') && l.includes('"edge_refused"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const before = await count();
      const outputBefore = gw.output().length;
      await expectRefused(`CONNECT ${web}:80 HTTP/1.1\r\nHost: ${web}:80\r\n\r\n`);
      // A length with chunks: Node's front end refuses it; Deno and Bun refuse it in their own parsers,
      // before any handler (so nothing to log there).
      const ambiguous = `POST / HTTP/1.1\r\nHost: ${web}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
      await expectRefused(ambiguous, { byRuntime: runtime !== 'node' });
      const expected = runtime === 'node' ? 2 : 1;
      await expect.poll(count).toBe(before + expected);
      await expect.poll(() => events().length).toBe(expected);
      for (const event of events()) {
        expect(event).toMatchObject({ level: 'warn', msg: 'security', reason: 'edge_refused', status: 400 });
        expect(event.peer).toBe('127.0.0.1');
        expect(typeof event.refusal).toBe('string');
      }
    });

    it('point 2: CONNECT is refused, never forwarded', async () => {
      const r = await expectRefused(`CONNECT ${web}:80 HTTP/1.1\r\nHost: ${web}:80\r\n\r\n`);
      // Deno.serve ignores Connection: close in an answer (what follows is framed by Deno and checked anew).
      if (runtime !== 'deno') expect(r.closed).toBe(true);
    });

    it('point 3: DEL in a header value, OPTIONS *, an absolute-form target naming another host', async () => {
      // Deno refuses DEL itself (400, no body); Bun hands it on, refused by the gateway.
      await expectRefused(
        `GET /del HTTP/1.1\r\nHost: ${web}\r\nX-Probe: a\x7fb\r\nConnection: close\r\n\r\n`,
        { byRuntime: runtime === 'deno' },
      );
      // Bun refuses `OPTIONS *` itself (400, no body); Deno reads it as `/*`, refused by the gateway.
      await expectRefused(`OPTIONS * HTTP/1.1\r\nHost: ${web}\r\nConnection: close\r\n\r\n`, {
        byRuntime: runtime === 'bun',
      });
      const other = `GET http://${hostOf('c2')}/abs HTTP/1.1\r\nHost: ${web}\r\nConnection: close\r\n\r\n`;
      if (runtime === 'bun') {
        // Bun drops the target's authority before the handler: the request is the origin-form one Host names.
        expect((await send(other)).status).toBe(200);
        expect(apps.seen.map((s) => [s.app, s.url, s.headers.host])).toEqual([['a', '/abs', web]]);
      } else await expectRefused(other);
    });

    it('point 3: bare-LF line ends never reach an app as such (Deno parses them; Node refuses)', async () => {
      const r = await send(`GET /lf HTTP/1.1\nHost: ${web}\nX-A: 1\nX-B: 2\nConnection: close\n\n`);
      if (runtime === 'deno') {
        // Deno.serve splits the lines before any handler runs; the app gets a CRLF request with both fields.
        expect(r.status).toBe(200);
        expect(apps.seen.map((s) => [s.url, s.headers['x-a'], s.headers['x-b']])).toEqual([
          ['/lf', '1', '2'],
        ]);
      } else {
        expect(r.status).toBeGreaterThanOrEqual(400); // Node: 400; Bun reads the first line's version: 505
        expect(apps.seen).toEqual([]);
      }
    });

    it('point 4: HTTP/2 with prior knowledge serves nothing and forwards nothing', async () => {
      const status = await new Promise<number>((resolve) => {
        const session = connectH2(`http://127.0.0.1:${gw.port}`);
        session.on('error', () => resolve(0));
        const stream = session.request({ ':path': '/h2', ':authority': web });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', () => resolve(0));
        stream.resume();
        setTimeout(() => resolve(-1), 3000);
      }).finally(() => {});
      // Deno answers HTTP/2 (no setting turns it off): such a request has no Host and is refused.
      expect(status).toBe(runtime === 'deno' ? 400 : 0);
      expect(apps.seen).toEqual([]);
      // HTTP/1.0 without Host (a load balancer's check) is not taken for HTTP/2 on Deno: the control app
      // answers it.
      if (runtime === 'deno')
        expect((await send('GET /healthz HTTP/1.0\r\n\r\n')).data).toMatch(/^HTTP\/1\.[01] 200 /);
    });

    it('point 4: a GET with a body is forwarded whole on Node, refused on Deno and Bun (their fetch cannot send it)', async () => {
      const r = await send(
        `GET /gb HTTP/1.1\r\nHost: ${web}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
      );
      if (runtime === 'node') {
        expect(r.status).toBe(200);
        expect(apps.seen.map((s) => [s.method, s.body])).toEqual([['GET', 'hello']]);
      } else {
        expect(r.status).toBe(400);
        expect(r.code).toBe('GW_ERR_BAD_REQUEST');
        expect(apps.seen).toEqual([]);
      }
    });

    it("point 4: the client's User-Agent, Accept, Accept-Language pass as sent; what fetch adds when absent", async () => {
      const sent = await send(
        `GET /ua HTTP/1.1\r\nHost: ${web}\r\nUser-Agent: probe/1\r\nAccept: text/html\r\nAccept-Language: de\r\nConnection: close\r\n\r\n`,
      );
      expect(sent.status).toBe(200);
      const none = await send(`GET /none HTTP/1.1\r\nHost: ${web}\r\nConnection: close\r\n\r\n`);
      expect(none.status).toBe(200);
      const [given, absent] = apps.seen.map((s) => [
        s.headers['user-agent'],
        s.headers.accept,
        s.headers['accept-language'],
      ]);
      expect(given).toEqual(['probe/1', 'text/html', 'de']);
      // Documented in gateway/README.md: fetch adds these when the client sent none (same meaning as none,
      // except the User-Agent, which names the runtime).
      const added: Record<Runtime, unknown[]> = {
        node: [undefined, undefined, undefined],
        deno: [expect.stringMatching(/^Deno\//), '*/*', '*'],
        bun: [expect.stringMatching(/^Bun\//), '*/*', undefined],
      };
      expect(absent).toEqual(added[runtime]);
    });
  });
}
