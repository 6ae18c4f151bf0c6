/**
 * A container service stand-in on loopback: HTTP echo, streaming, SSE, large bodies, hop-by-hop response
 * headers, an answer that never comes (`/hang`) and one reset mid-body (`/cut-body`), and a WebSocket
 * echo (with subprotocol negotiation) on the same port. Upgrade requests to `/refuse?status=N` are
 * answered N (with headers a proxy must clean), to `/refuse-chunked` with a chunked 403, to
 * `/silent-upgrade` never; an `Upgrade: h2c` is switched and its bytes echoed raw (an app that would
 * accept h2c smuggling).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface TestUpstream {
  port: number;
  server: Server;
  /** Subprotocols and extensions the WebSocket side saw, in order. */
  webSockets: { protocol: string; extensions: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 7);

/** `name` is echoed back, so a test can tell which upstream a request reached. */
export async function startUpstream(port = 0, name = ''): Promise<TestUpstream> {
  const webSockets: TestUpstream['webSockets'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/stream': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let n = Number(url.searchParams.get('n') ?? 3);
        const tick = () => {
          if (n-- <= 0) return void res.end('end\n');
          res.write(`chunk ${n}\n`);
          setTimeout(tick, 20);
        };
        return tick();
      }
      case '/sse': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: first\n\n');
        // The second event only after the client proved it got the first (no buffering anywhere).
        const timer = setTimeout(
          () => res.end('data: second\n\n'),
          Number(url.searchParams.get('delay') ?? 300),
        );
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/big': {
        let left = Number(url.searchParams.get('bytes') ?? 0);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
        const pump = () => {
          while (left > 0) {
            const part = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
            left -= part.length;
            if (!res.write(part)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/upload': {
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => res.end(JSON.stringify({ bytes })));
        return;
      }
      case '/hop':
        res.writeHead(200, {
          connection: 'x-internal',
          'x-internal': 'secret',
          'keep-alive': 'timeout=5',
          'proxy-authenticate': 'Basic',
          'x-kept': 'yes',
        });
        return void res.end('ok');
      case '/set-cookies':
        res.writeHead(
          200,
          [
            ['set-cookie', 'app=1; Path=/'],
            ['set-cookie', 'dg_session=forged; Path=/; Domain=localhost'],
            ['set-cookie', ' dg_flow_x=y'],
          ].flat(),
        );
        return void res.end('ok');
      case '/status':
        res.writeHead(Number(url.searchParams.get('code') ?? 200), { 'content-type': 'text/plain' });
        return void res.end('status');
      case '/hang':
        return; // accepts the request and never answers
      case '/cut-body':
        // Promises 1000 bytes, sends 10, then resets the connection.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('0123456789');
        setTimeout(() => req.socket.resetAndDestroy(), 50);
        return;
      default: {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              upstream: name,
              method: req.method,
              url: req.url,
              headers: req.headers,
              rawHeaders: req.rawHeaders,
              body,
            }),
          );
        });
      }
    }
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('tty') ? 'tty' : false),
  });
  const held = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    socket.on('error', () => socket.destroy());
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    if (req.headers.upgrade?.toLowerCase() === 'h2c') {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n');
      socket.pipe(socket);
      return;
    }
    switch (url.pathname) {
      case '/refuse': {
        const body = 'no WebSocket here';
        socket.write(
          `HTTP/1.1 ${url.searchParams.get('status') ?? '404'} Refused\r\ncontent-type: text/plain\r\n` +
            `content-length: ${body.length}\r\nconnection: x-internal\r\nx-internal: secret\r\n` +
            'keep-alive: timeout=5\r\nset-cookie: dg_session=forged; Path=/\r\nset-cookie: app=1\r\n' +
            `x-app: refused\r\n\r\n${body}`,
        );
        return; // left open: the gateway must not wait for the app to close
      }
      case '/refuse-chunked':
        return void socket.end(
          'HTTP/1.1 403 Forbidden\r\ntransfer-encoding: chunked\r\n\r\n5\r\nnope!\r\n0\r\n\r\n',
        );
      case '/silent-upgrade':
        return;
      default:
        wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
    }
  });
  wss.on('connection', (ws, req) => {
    webSockets.push({ protocol: ws.protocol, extensions: ws.extensions, headers: req.headers });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    webSockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        for (const socket of held) socket.destroy();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
