import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFetch } from '../../../gateway/server/http1/fetch-bridge.ts';
import { createHttp1Server, type Http1Server } from '../../../gateway/server/http1/server.ts';
import { rawExchange } from '../../support/raw-http.ts';

/** Set when the endless body of `/endless` is cancelled. */
let endlessCancelled = false;

/** A fetch handler that shows what it received and answers by path. */
async function app(request: Request, remoteAddress: string): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/cookies') {
    const headers = new Headers();
    headers.append('set-cookie', 'a=1; Path=/');
    headers.append('set-cookie', 'b=2; Path=/');
    return new Response('ok', { headers });
  }
  if (url.pathname === '/stream') {
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('one,'));
        c.enqueue(new TextEncoder().encode('two'));
        c.close();
      },
    });
    return new Response(body);
  }
  if (url.pathname === '/endless') {
    const body = new ReadableStream({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 5));
        c.enqueue(new Uint8Array(1024));
      },
      cancel() {
        endlessCancelled = true;
      },
    });
    return new Response(body);
  }
  if (url.pathname === '/fail') throw new Error('handler failed with a secret: s3cr3t');
  const text = request.body === null ? '' : await request.text();
  return Response.json({ method: request.method, url: request.url, text, remoteAddress });
}

let front: Http1Server;
let port: number;

beforeAll(async () => {
  front = createHttp1Server(
    { headersTimeoutMs: 1000, keepAliveTimeoutMs: 1000 },
    { request: serveFetch(app, 1024), upgrade: (_req, socket) => socket.destroy() },
  );
  await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
  port = (front.server.address() as AddressInfo).port;
});
afterAll(() => front.close());

const bodyOf = (data: string) => data.slice(data.indexOf('\r\n\r\n') + 4);

describe('HTTP/1.1 front end: fetch bridge', () => {
  it('hands the handler a Request with method, URL, body and the peer address', async () => {
    const { data } = await rawExchange(
      port,
      'POST /echo?x=1 HTTP/1.1\r\nHost: control.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
    );
    expect(data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(data).toMatch(/\r\ncontent-length: \d+\r\n/); // a one-chunk body goes out with its length
    expect(JSON.parse(bodyOf(data))).toEqual({
      method: 'POST',
      url: 'http://control.test/echo?x=1',
      text: 'hello',
      remoteAddress: '127.0.0.1',
    });
  });

  it('refuses a body over the limit with 413 and closes', async () => {
    const { data, closed } = await rawExchange(
      port,
      `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2000)}`,
    );
    expect(data).toMatch(/^HTTP\/1\.1 413 /);
    expect(data).toContain('GW_ERR_BODY_TOO_LARGE');
    expect(closed).toBe(true);
  });

  it('keeps every Set-Cookie and streams a body of unknown length chunked', async () => {
    const cookies = await rawExchange(port, 'GET /cookies HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(cookies.data).toContain('set-cookie: a=1; Path=/\r\n');
    expect(cookies.data).toContain('set-cookie: b=2; Path=/\r\n');
    const stream = await rawExchange(port, 'GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(stream.data).toContain('transfer-encoding: chunked\r\n');
    expect(bodyOf(stream.data)).toBe('4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n');
  });

  it('stops reading an endless body when the client goes away', async () => {
    endlessCancelled = false;
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /endless HTTP/1.1\r\nHost: t\r\n\r\n'));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    for (let i = 0; i < 100 && !endlessCancelled; i++) await new Promise((r) => setTimeout(r, 20));
    expect(endlessCancelled).toBe(true);
  });

  it('answers a failing handler with a 500 that does not echo its error', async () => {
    const { data } = await rawExchange(port, 'GET /fail HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(data).toMatch(/^HTTP\/1\.1 500 /);
    expect(data).toContain('GW_ERR_INTERNAL');
    expect(data).not.toContain('s3cr3t');
  });

  it('answers a Host that makes no URL with 400', async () => {
    const { data } = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n');
    expect(data).toMatch(/^HTTP\/1\.1 400 /);
  });
});
