import { type AddressInfo, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Http1Request } from '../../../gateway/server/http1/request.ts';
import type { Http1Response } from '../../../gateway/server/http1/response.ts';
import { createHttp1Server, type Http1Server } from '../../../gateway/server/http1/server.ts';
import { SharedReads } from '../../../gateway/server/shared-reads.ts';
import { rawExchange } from '../../support/raw-http.ts';

/** What the test handler saw: method, target and body of each request, in order. */
const seen: { method: string; url: string; body: string }[] = [];

async function readAll(req: Http1Request): Promise<string> {
  if (req.body === null) return '';
  let text = '';
  for await (const chunk of req.body) text += (chunk as Buffer).toString('latin1');
  return text;
}

/**
 * Answers by path: `/slow` after 100 ms, `/late` reads its body after 100 ms, `/stream` in three chunks
 * without a length, `/early` before the body.
 */
async function handle(req: Http1Request, res: Http1Response): Promise<void> {
  if (req.url === '/early') {
    res.writeHead(413, undefined, ['content-type', 'text/plain']);
    return res.end('no');
  }
  if (req.url === '/late') await sleep(100);
  const body = await readAll(req);
  seen.push({ method: req.method, url: req.url, body });
  if (req.url === '/slow') await new Promise((r) => setTimeout(r, 100));
  if (req.url === '/stream') {
    res.writeHead(200, undefined, ['content-type', 'text/plain']);
    res.write(Buffer.from('one,'));
    res.write(Buffer.alloc(0)); // must not end the chunked body
    res.write(Buffer.from('two,'));
    return res.end(Buffer.from('three'));
  }
  res.writeHead(200, undefined, ['content-type', 'text/plain', 'x-url', req.url]);
  res.end(`${req.method} ${req.url} ${body}`);
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const statuses = (data: string) => [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

let front: Http1Server;
let port: number;
let upgraded: { url: string; upgrade: string | undefined; head: string } | undefined;

// Accepted sockets read into the shared buffer where Node allows it, else through 'data': both run.
describe.each([
  { reads: 'shared buffer', shared: true },
  { reads: "'data' events", shared: false },
])('HTTP/1.1 front end: connections, reads into $reads', ({ shared }) => {
  beforeAll(async () => {
    front = createHttp1Server(
      { headersTimeoutMs: 300, keepAliveTimeoutMs: 600, reads: new SharedReads({ adoptAccepted: shared }) },
      {
        // A body cut short rejects the reader: the answer is then a cut connection.
        request: (req, res) => void handle(req, res).catch(() => res.destroy()),
        upgrade: (req, socket, head) => {
          upgraded = { url: req.url, upgrade: req.upgrade, head: head.toString('latin1') };
          socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\nhello');
        },
      },
    );
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
    port = (front.server.address() as AddressInfo).port;
  });
  afterAll(() => front.close());

  it('keeps a connection alive and answers pipelined requests in order', async () => {
    seen.length = 0;
    const { data, closed } = await rawExchange(port, get('/slow') + get('/fast'), { waitMs: 400 });
    expect(closed).toBe(false);
    expect(statuses(data)).toEqual([200, 200]);
    expect(data.indexOf('GET /slow')).toBeLessThan(data.indexOf('GET /fast'));
    expect(data).toMatch(/content-length: 10\r\n/);
    expect(data).toMatch(/date: \w{3}, \d{2} \w{3} \d{4}/);
    expect(seen.map((s) => s.url)).toEqual(['/slow', '/fast']);
  });

  it('keeps the bytes it holds (pipelined requests, a body read late) while other clients are read', async () => {
    seen.length = 0;
    const late = 'POST /late HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nlate body';
    const held = rawExchange(port, get('/slow') + get('/held') + late, { waitMs: 600 });
    // Other clients' reads land while /held waits behind /slow, and while /late's body waits.
    const others = async (at: number, tag: string) => {
      await sleep(at);
      const answers = await Promise.all(
        // Each closes after its answer, so a busy machine only makes the wait longer, never the result.
        [1, 2, 3].map((i) =>
          rawExchange(port, get(`/${tag}${String(i).repeat(300)}`, 'Connection: close\r\n'), {
            waitMs: 2000,
          }),
        ),
      );
      expect(answers.map((a) => statuses(a.data))).toEqual([[200], [200], [200]]);
    };
    await Promise.all([others(30, 'other-'), others(150, 'later-')]);
    const { data } = await held;
    expect(statuses(data)).toEqual([200, 200, 200]);
    const mine = seen.filter((s) => !/^\/(other|later)-/.test(s.url)).map((s) => [s.url, s.body]);
    expect(mine).toEqual([
      ['/slow', ''],
      ['/held', ''],
      ['/late', 'late body'],
    ]);
  });

  it('closes after the answer when the client asks, and for HTTP/1.0 unless asked to keep alive', async () => {
    const close = await rawExchange(port, get('/', 'Connection: close\r\n'));
    expect(close.closed).toBe(true);
    expect(close.data).toMatch(/connection: close\r\n/);
    const old = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(old.closed).toBe(true);
    expect(statuses(old.data)).toEqual([200]);
    const kept = await rawExchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { waitMs: 300 });
    expect(kept.closed).toBe(false);
    expect(kept.data).toMatch(/connection: keep-alive\r\n/);
  });

  it('reads Content-Length and chunked bodies, and leaves the next request intact', async () => {
    seen.length = 0;
    const chunked =
      'POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n';
    const fixed = 'PUT /f HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello';
    const { data } = await rawExchange(port, chunked + fixed + get('/after'), { waitMs: 400 });
    expect(statuses(data)).toEqual([200, 200, 200]);
    expect(seen).toEqual([
      { method: 'POST', url: '/c', body: 'abcde' },
      { method: 'PUT', url: '/f', body: 'hello' },
      { method: 'GET', url: '/after', body: '' },
    ]);
  });

  it('sends 100 Continue before reading a body the client holds back', async () => {
    const head = 'POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n';
    const { data } = await rawExchange(port, [head, 'ok'], { gapMs: 100, waitMs: 400 });
    expect(data.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    expect(data).toContain('POST /e ok');
  });

  it('chunks an answer of unknown length for HTTP/1.1 and closes to end it for HTTP/1.0', async () => {
    const modern = await rawExchange(port, get('/stream'), { waitMs: 300 });
    expect(modern.data).toMatch(/transfer-encoding: chunked\r\n/);
    expect(modern.data).toContain('\r\n\r\n4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n');
    const old = await rawExchange(port, 'GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(old.closed).toBe(true);
    expect(old.data).not.toMatch(/transfer-encoding/);
    expect(old.data.endsWith('\r\n\r\none,two,three')).toBe(true);
  });

  it('answers requests whose bytes arrive a few at a time, pipelined ones included', async () => {
    seen.length = 0;
    // Three bytes a write: CRLFs and blank lines fall across reads (well inside the 300 ms head timeout).
    const parts = (get('/one') + get('/two')).match(/[\s\S]{1,3}/g) as string[];
    const { data } = await rawExchange(port, parts, { gapMs: 1, waitMs: 600 });
    expect(statuses(data)).toEqual([200, 200]);
    expect(seen.map((s) => s.url)).toEqual(['/one', '/two']);
  });

  it('answers every request read before the client half-closed, then closes', async () => {
    const data = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.end(get('/slow') + get('/last')));
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text));
    });
    expect(statuses(data)).toEqual([200, 200]);
    expect(data).toContain('GET /last ');
  });

  it('sends no body for HEAD', async () => {
    const { data } = await rawExchange(port, `HEAD / HTTP/1.1\r\nHost: t\r\n\r\n${get('/next')}`, {
      waitMs: 300,
    });
    expect(statuses(data)).toEqual([200, 200]);
    expect(data).not.toContain('HEAD / ');
    expect(data).toContain('GET /next ');
  });

  it('closes a connection whose answer came before its body was read', async () => {
    const { data, closed } = await rawExchange(
      port,
      ['POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc', get('/smuggled')],
      { gapMs: 100 },
    );
    expect(closed).toBe(true);
    expect(statuses(data)).toEqual([413]);
  });

  it.each([
    [
      'both Content-Length and Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
    ],
    [
      'two Content-Lengths',
      'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
      400,
    ],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc', 400],
    [
      'a gzip Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      400,
    ],
    ['a chunked HTTP/1.0 request', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['no Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['a head over 16 KiB', `GET / HTTP/1.1\r\nHost: t\r\nX: ${'a'.repeat(17_000)}\r\n\r\n`, 431],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505],
  ])('refuses %s and closes', async (_, text, status) => {
    const { data, closed } = await rawExchange(port, text);
    expect(statuses(data)).toEqual([status]);
    expect(data).toContain('GW_ERR_BAD_REQUEST');
    expect(closed).toBe(true);
  });

  it('answers 408 to a head that does not arrive in time, and closes an idle connection quietly', async () => {
    const slow = await rawExchange(port, 'GET / HTTP/1.1\r\nHo', { waitMs: 2000 });
    expect(slow.closed).toBe(true);
    expect(statuses(slow.data)).toEqual([408]);
    const idle = await rawExchange(port, get('/'), { waitMs: 3000 });
    expect(idle.closed).toBe(true);
    expect(statuses(idle.data)).toEqual([200]);
  });

  it('hands a WebSocket handshake its socket and the bytes read past the head', async () => {
    upgraded = undefined;
    const { data } = await rawExchange(
      port,
      'GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c, WebSocket\r\n\r\nearly bytes',
    );
    expect(upgraded).toEqual({ url: '/ws', upgrade: 'websocket', head: 'early bytes' });
    expect(data).toContain('101 Switching Protocols');
    expect(data.endsWith('hello')).toBe(true);
  });

  it('reads any other upgrade (h2c) as a plain request: the socket is never handed over', async () => {
    upgraded = undefined;
    const { data } = await rawExchange(
      port,
      'GET /h2c HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
      { waitMs: 300 },
    );
    expect(upgraded).toBeUndefined();
    expect(statuses(data)).toEqual([200]);
    expect(data).toContain('GET /h2c');
  });
});
