import { execFileSync } from 'node:child_process';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamError } from '../../gateway/server/node-relay.ts';
import { SharedReads } from '../../gateway/server/shared-reads.ts';
import {
  type HandshakeHandler,
  MAX_ANSWER_HEAD,
  sendHandshake,
} from '../../gateway/server/upstream-handshake.ts';
import { requireCommand } from '../support/prerequisites.ts';

const servers: Server[] = [];
const sockets: Duplex[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A loopback app that gets the request head, then answers with `answer(socket, head)`. */
async function app(
  answer: (socket: Socket, head: string) => void,
): Promise<{ port: number; heads: string[] }> {
  const heads: string[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      const end = seen.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      heads.push(seen.slice(0, end));
      answer(socket, seen.slice(0, end));
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, heads };
}

interface Outcome {
  status?: number;
  statusText?: string;
  headers: [string, string][];
  body: Buffer;
  upgraded?: Duplex;
  completed: boolean;
  error?: UpstreamError;
  abort?: (err?: Error) => void;
  resume?: () => void;
}

/** Sends a handshake and records what the handler saw; resolves when it ended one way or another. */
function handshake(
  port: number,
  options: { bodyTimeoutMs?: number; connectTimeoutMs?: number; host?: string; slowReader?: boolean } = {},
): { outcome: Outcome; ended: Promise<Outcome> } {
  const outcome: Outcome = { headers: [], body: Buffer.alloc(0), completed: false };
  const ended = new Promise<Outcome>((resolve) => {
    const pairs = (raw: Buffer[]) => {
      const out: [string, string][] = [];
      for (let i = 0; i < raw.length; i += 2) out.push([String(raw[i]), String(raw[i + 1])]);
      return out;
    };
    const handler: HandshakeHandler = {
      onConnect(abort) {
        outcome.abort = abort;
      },
      onHeaders(status, raw, resume, statusText) {
        outcome.status = status;
        outcome.statusText = statusText;
        outcome.headers = pairs(raw);
        outcome.resume = resume;
        return true;
      },
      onData(chunk) {
        outcome.body = Buffer.concat([outcome.body, chunk]);
        // A slow client: every read pauses the app for longer than the body timeout.
        if (options.slowReader) setTimeout(() => outcome.resume?.(), (options.bodyTimeoutMs ?? 2_000) * 2);
        return !options.slowReader;
      },
      onComplete() {
        outcome.completed = true;
        resolve(outcome);
      },
      onError(err) {
        outcome.error = err;
        resolve(outcome);
      },
      onUpgrade(status, raw, socket) {
        outcome.status = status;
        outcome.headers = pairs(raw);
        outcome.upgraded = socket;
        sockets.push(socket);
        resolve(outcome);
      },
    };
    sendHandshake(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path: '/ws?x=1',
        headers: ['host', 'uc-a.org-o.example.test', 'sec-websocket-key', 'abc==', 'x-request-id', 'r1'],
        connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
        bodyTimeoutMs: options.bodyTimeoutMs ?? 2_000,
        reads: new SharedReads().streamed,
      },
      handler,
    );
  });
  return { outcome, ended };
}

/** The next read of a handed-over socket (the relay's `pipe` resumes it; here that is done by hand). */
const readSome = (socket: Duplex) =>
  new Promise<string>((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    socket.resume();
  });

describe('a WebSocket handshake on a connection of its own', () => {
  it('sends Host first and the upgrade, then hands the socket over on 101 with the bytes that followed the head', async () => {
    const { port, heads } = await app((socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nearly',
      );
      socket.on('data', (chunk) => socket.write(chunk)); // echo
    });
    const { upgraded, status, headers } = await handshake(port).ended;
    expect(status).toBe(101);
    expect(headers).toEqual([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
    ]);
    expect(heads[0]).toBe(
      'GET /ws?x=1 HTTP/1.1\r\nhost: uc-a.org-o.example.test\r\nconnection: upgrade\r\nupgrade: websocket\r\n' +
        'sec-websocket-key: abc==\r\nx-request-id: r1',
    );
    if (!upgraded) throw new Error('not upgraded');
    // TCP keep-alive on the app's connection (ss shows its timer), as undici's connector sets it.
    requireCommand('ss', 'iproute2');
    const local = (upgraded as Socket).localPort;
    const ss = execFileSync('ss', ['-tnoH', 'state', 'established', `( sport = :${local} )`], {
      encoding: 'utf8',
    });
    expect(ss).toContain('timer:(keepalive');
    expect(await readSome(upgraded)).toBe('early');
    upgraded.write('ping');
    expect(await readSome(upgraded)).toBe('ping');
  });

  it('skips interim answers (100, 103) before the switch', async () => {
    const { port } = await app((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
      setTimeout(() => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'), 20);
    });
    const outcome = await handshake(port).ended;
    expect(outcome.status).toBe(101);
    expect(outcome.headers).toEqual([['Upgrade', 'websocket']]);
  });

  it('relays a refusal with a Content-Length body, and closes the connection after it', async () => {
    let closed = false;
    const { port } = await app((socket) => {
      socket.on('close', () => {
        closed = true;
      });
      socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nX-App: 1\r\n\r\nno ws');
    });
    const outcome = await handshake(port).ended;
    expect(outcome).toMatchObject({ status: 403, statusText: 'Forbidden', completed: true });
    expect(outcome.body.toString()).toBe('no ws');
    expect(outcome.headers).toContainEqual(['X-App', '1']);
    await expect.poll(() => closed).toBe(true);
  });

  it('decodes a chunked refusal body split across reads, trailers included', async () => {
    const { port } = await app((socket) => {
      socket.write('HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
      setTimeout(() => socket.write('lo\r\n6;ext=1\r\n world\r\n0\r\nX-T'), 20);
      setTimeout(() => socket.write('railer: 1\r\n\r\n'), 40);
    });
    const outcome = await handshake(port).ended;
    expect(outcome).toMatchObject({ status: 400, completed: true });
    expect(outcome.body.toString()).toBe('hello world');
  });

  it('relays a body that ends with the connection, and honours back-pressure without timing out while paused', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const { port } = await app((socket) => {
      socket.write('HTTP/1.1 426 Upgrade Required\r\n\r\n');
      socket.end(big);
    });
    const outcome = await handshake(port, { slowReader: true, bodyTimeoutMs: 20 }).ended;
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ status: 426, completed: true });
    expect(outcome.body.equals(big)).toBe(true);
  });

  it('completes a 204 without waiting for a body', async () => {
    const { port } = await app((socket) => socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
    const outcome = await handshake(port).ended;
    expect(outcome).toMatchObject({ status: 204, completed: true });
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 101 Switching\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n'],
    ['an obs-fold line', 'HTTP/1.1 403 No\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 403 No\r\nContent-Length : 0\r\n\r\n'],
    ['two Content-Lengths', 'HTTP/1.1 403 No\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    [
      'Transfer-Encoding with Content-Length',
      'HTTP/1.1 403 No\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a Transfer-Encoding other than chunked', 'HTTP/1.1 403 No\r\nTransfer-Encoding: gzip\r\n\r\nabc'],
    ['a bad chunk size', 'HTTP/1.1 403 No\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n'],
  ])('fails on %s, relaying nothing', async (_what, answer) => {
    const { port } = await app((socket) => socket.end(answer));
    const outcome = await handshake(port).ended;
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.upgraded).toBeUndefined();
    expect(outcome.completed).toBe(false);
  });

  it('fails on an answer head larger than the limit', async () => {
    const { port } = await app((socket) =>
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'a'.repeat(MAX_ANSWER_HEAD)}`),
    );
    const outcome = await handshake(port).ended;
    expect(outcome.error?.code).toBe('UND_ERR_HEADERS_OVERFLOW');
  });

  it('fails with the socket error when the app closes before answering, and with ECONNREFUSED when nobody listens', async () => {
    const { port } = await app((socket) => socket.end());
    expect((await handshake(port).ended).error?.code).toBe('UND_ERR_SOCKET');
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect((await handshake(closedPort).ended).error?.code).toBe('ECONNREFUSED');
  });

  it('fails with a body timeout when a refusal body stalls, and ends at once when aborted', async () => {
    const { port } = await app((socket) => socket.write('HTTP/1.1 403 No\r\nContent-Length: 10\r\n\r\nabc'));
    const stalled = await handshake(port, { bodyTimeoutMs: 100 }).ended;
    expect(stalled.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(stalled.body.toString()).toBe('abc');

    const { port: silent } = await app(() => {}); // never answers
    const pending = handshake(silent);
    await expect.poll(() => pending.outcome.abort).toBeTypeOf('function');
    pending.outcome.abort?.(Object.assign(new Error('client went away'), { code: 'X_TEST' }));
    expect((await pending.ended).error?.code).toBe('X_TEST');
  });
});
