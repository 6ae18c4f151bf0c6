/**
 * A container service stand-in on loopback: HTTP echo, streaming, SSE, large bodies, hop-by-hop response
 * headers, and a WebSocket echo (with subprotocol negotiation) on the same port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface TestUpstream {
  port: number;
  server: Server;
  /** Subprotocols and extensions the WebSocket side saw, in order. */
  webSockets: { protocol: string; extensions: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 7);

export async function startUpstream(port = 0): Promise<TestUpstream> {
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
      default: {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
        });
      }
    }
  });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('tty') ? 'tty' : false),
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
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
