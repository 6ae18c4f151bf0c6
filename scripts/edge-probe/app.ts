/**
 * The container app behind the gateway: node:http on loopback. It records every request it receives
 * (raw headers, body, whether the body ended) and answers JSON. Upgrade requests: `Upgrade: h2c` is
 * switched with 101 and echoed raw (an app open to h2c smuggling), a WebSocket handshake to `/refuse`
 * gets a 404 with headers a proxy must clean and the socket is left open, to `/silent` no answer at all,
 * anywhere else a 101. `/set-cookies` and `/hop` answer with what a proxy must not pass to a browser. A
 * CONNECT is recorded and answered 405.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface AppRecord {
  method: string;
  url: string;
  httpVersion: string;
  /** Name/value pairs exactly as received. */
  headers: [string, string][];
  body: string;
  /** The body ended (false: the request was cut off). */
  complete: boolean;
  /** Came as an upgrade request (node:http's 'upgrade' event). */
  upgrade: boolean;
  /** The app answered 101 and switched protocols. */
  switched: boolean;
  /** Bytes received raw after a switch. */
  afterSwitch: string;
  /**
   * node:http could not read a request from what arrived (its error code: HPE_* for bytes it could not
   * parse, ECONNRESET for a connection cut mid-request); nothing else is filled in.
   */
  parseError?: string;
  /** With `parseError`: bytes the connection delivered since its last complete request. */
  bytes?: number;
}

export interface EchoApp {
  port: number;
  records: AppRecord[];
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const REFUSAL_BODY = 'no WebSocket here';
/** Read no further: a bound on what one request may make the app keep. */
const MAX_BODY = 1 << 20;

const pairs = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
};

const recordOf = (req: IncomingMessage, upgrade: boolean): AppRecord => ({
  method: req.method ?? '',
  url: req.url ?? '',
  httpVersion: req.httpVersion,
  headers: pairs(req.rawHeaders),
  body: '',
  complete: upgrade,
  upgrade,
  switched: false,
  afterSwitch: '',
});

export async function startEchoApp(): Promise<EchoApp> {
  const records: AppRecord[] = [];
  const sockets = new Set<Socket | Duplex>();
  /** Per connection, its bytesRead when its last request ended. */
  const readUpTo = new WeakMap<Duplex, number>();
  const server = createServer((req, res) => {
    const record = recordOf(req, false);
    records.push(record);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      record.complete = true;
      readUpTo.set(req.socket, req.socket.bytesRead);
      record.body = Buffer.concat(chunks).toString('latin1');
      const path = record.url.split('?')[0];
      if (path === '/set-cookies') {
        res.writeHead(
          200,
          [
            ['content-type', 'text/plain'],
            ['set-cookie', 'app=1; Path=/'],
            ['set-cookie', 'dg_session=forged; Path=/; Domain=localhost'],
            ['set-cookie', 'dg_flow_abcdefgh=forged; Path=/_dg/'],
          ].flat(),
        );
        return void res.end('ok');
      }
      if (path === '/hop') {
        res.writeHead(200, {
          'content-type': 'text/plain',
          connection: 'x-internal',
          'x-internal': 'secret',
          'keep-alive': 'timeout=5',
          'x-kept': 'yes',
        });
        return void res.end('ok');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(record));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A pooled connection the gateway closes between requests is no request: only bytes count.
    const bytes = (socket as Socket).bytesRead - (readUpTo.get(socket) ?? 0);
    if (bytes > 0 || err.code !== 'ECONNRESET')
      records.push({
        method: '',
        url: '',
        httpVersion: '',
        headers: [],
        body: '',
        complete: false,
        upgrade: false,
        switched: false,
        afterSwitch: '',
        parseError: err.code ?? err.message,
        bytes,
      });
    socket.destroy();
  });
  // node:http hands CONNECT to this event (without a listener it just drops the connection, which would
  // hide that a CONNECT reached the app): recorded, then refused as an app without a tunnel would.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    records.push({ ...recordOf(req, false), complete: true });
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const record = recordOf(req, true);
    records.push(record);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const path = record.url.split('?')[0];
    if (req.headers.upgrade?.toLowerCase() === 'h2c') {
      record.switched = true;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
      socket.on('data', (c: Buffer) => {
        if (record.afterSwitch.length < MAX_BODY) record.afterSwitch += c.toString('latin1');
        socket.write(c);
      });
      return;
    }
    if (path === '/refuse') {
      socket.write(
        `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: ${REFUSAL_BODY.length}\r\n` +
          'Connection: x-internal\r\nX-Internal: secret\r\nKeep-Alive: timeout=5\r\n' +
          'Set-Cookie: dg_session=forged; Path=/\r\nSet-Cookie: app=1\r\nX-App: refused\r\n\r\n' +
          REFUSAL_BODY,
      );
      return; // left open: the gateway must not wait for the app to close
    }
    if (path === '/silent') return;
    const key = req.headers['sec-websocket-key'] ?? '';
    const accept = createHash('sha1').update(`${key}${WS_GUID}`).digest('base64');
    record.switched = true;
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on('data', (c: Buffer) => {
      if (record.afterSwitch.length < MAX_BODY) record.afterSwitch += c.toString('latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
