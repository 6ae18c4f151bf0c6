import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp1Server, type Http1Server } from '../../../gateway/server/http1/server.ts';
import { rawExchange } from '../../support/raw-http.ts';

/** A deterministic generator (the same cases every run). */
function generator(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
}

const VALID = [
  'GET / HTTP/1.1\r\nHost: t\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX: y\r\n\r\n',
  'GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
];
/** What mutations insert or overwrite: framing characters and headers that change how a request is read. */
const PIECES = [
  '\r',
  '\n',
  ' ',
  '\t',
  ':',
  ';',
  '0',
  'f',
  'z',
  '\x00',
  '\x7f',
  '\xff',
  'chunked',
  '\r\n\r\n',
];
PIECES.push('Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', 'HTTP/1.1');

function mutate(text: string, rand: (n: number) => number): string {
  let out = text;
  for (let i = 1 + rand(4); i > 0; i--) {
    const at = rand(out.length + 1);
    const piece = PIECES[rand(PIECES.length)] as string;
    const op = rand(3);
    if (op === 0) out = out.slice(0, at) + piece + out.slice(at);
    else if (op === 1) out = out.slice(0, at) + out.slice(at + 1 + rand(5));
    else out = out.slice(0, at) + piece + out.slice(at + piece.length);
  }
  return out;
}

/** Sends `text` in two writes split at `cut`; what came back before the close or `waitMs`. */
function exchange(port: number, text: string, cut: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.from(text.slice(0, cut), 'latin1'));
      setImmediate(() => socket.writable && socket.write(Buffer.from(text.slice(cut), 'latin1')));
    });
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

let front: Http1Server;
let port: number;

beforeAll(async () => {
  front = createHttp1Server(
    { headersTimeoutMs: 500, keepAliveTimeoutMs: 1000 },
    {
      request: (req, res) => {
        const answer = () => {
          res.writeHead(200, undefined, ['content-type', 'text/plain']);
          res.end('ok');
        };
        if (req.body === null) return answer();
        req.body.on('data', () => {});
        req.body.on('end', answer);
        req.body.on('close', () => res.finished || res.destroy());
      },
      upgrade: (_req, socket) => {
        socket.on('error', () => socket.destroy());
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      },
    },
  );
  await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
  port = (front.server.address() as AddressInfo).port;
});
afterAll(() => front.close());

describe('HTTP/1.1 front end: mutated requests', () => {
  it('answers 300 mutated requests with a status line or a close, and keeps serving', async () => {
    const rand = generator(12345);
    const odd: string[] = [];
    for (let i = 0; i < 300; i++) {
      const base = mutate(VALID[rand(VALID.length)] as string, rand);
      const text = rand(2) ? base + (VALID[rand(VALID.length)] as string) : base;
      const data = await exchange(port, text, rand(text.length), 40);
      if (data !== '' && !/^HTTP\/1\.1 [1-5]\d\d /.test(data)) odd.push(`${JSON.stringify(text)} -> ${data}`);
    }
    expect(odd).toEqual([]);
    const after = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(after.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  }, 60_000);
});
