/**
 * A container service that misbehaves on purpose, for the fault suite, and says what it saw. Each request
 * is named by its `x-fault-tag` header; `outcome(tag)` is how its exchange ended at the app.
 *
 *   /silent               accepts the request and never answers
 *   /cut[?chunked=1]      200 with Content-Length 1 MiB (or chunked), 64 KiB of it, then a reset
 *   /upload               answers its head at once, reads the body: outcome `end` or `aborted` (it went away)
 *   /download             streams until the client goes: outcome `client gone` (or `finished` at 256 MiB)
 *
 *   startFaultUpstream() -> { port, openSockets(), outcome(tag), received(tag), close() }
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultUpstream {
  port: number;
  /** Connections open at the app right now (from the gateway's pools). */
  openSockets(): number;
  outcome(tag: string): string | undefined;
  /** Request body bytes the app read for `tag`. */
  received(tag: string): number;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');
const PACED = Buffer.alloc(16 * 1024, 'y');
const MiB = 1024 * 1024;

export async function startFaultUpstream(): Promise<FaultUpstream> {
  const outcomes = new Map<string, string>();
  const bytes = new Map<string, number>();
  const sockets = new Set<Socket>();
  const settle = (tag: string, outcome: string) => {
    if (!outcomes.has(tag)) outcomes.set(tag, outcome);
  };

  const cut = (req: IncomingMessage, res: ServerResponse, chunked: boolean) => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(chunked ? {} : { 'content-length': MiB }),
    });
    res.write(CHUNK);
    // Late enough that the gateway relayed the head and the first bytes: the cut comes mid-body.
    setTimeout(() => req.socket.resetAndDestroy(), 100);
  };
  const upload = (req: IncomingMessage, res: ServerResponse, tag: string) => {
    // The head at once, as a streaming endpoint would: no answer deadline can end the exchange, only the
    // client's going away.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    req.on('data', (chunk: Buffer) => bytes.set(tag, (bytes.get(tag) ?? 0) + chunk.length));
    req.on('end', () => {
      settle(tag, 'end');
      res.end(JSON.stringify({ bytes: bytes.get(tag) ?? 0 }));
    });
    req.on('close', () => {
      if (!req.complete) settle(tag, 'aborted');
    });
    req.on('error', () => settle(tag, 'aborted'));
  };
  const download = (res: ServerResponse, tag: string) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let sent = 0;
    // Paced (16 KiB every 5 ms), with back-pressure: a stream that lasts, without eating the test's CPU.
    const pump = () => {
      if (res.destroyed) return;
      if (sent >= 256 * MiB) return void res.end();
      sent += PACED.length;
      // One chunk fills the stream's buffer (16 KiB), so a write usually asks to wait for 'drain'.
      if (res.write(PACED)) setTimeout(pump, 5);
      else res.once('drain', () => setTimeout(pump, 5));
    };
    res.on('close', () => settle(tag, res.writableFinished ? 'finished' : 'client gone'));
    pump();
  };

  const server = createServer((req, res) => {
    const tag = String(req.headers['x-fault-tag'] ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/silent':
        return;
      case '/cut':
        return cut(req, res, url.searchParams.has('chunked'));
      case '/upload':
        return upload(req, res, tag);
      case '/download':
        return download(res, tag);
      default:
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    openSockets: () => sockets.size,
    outcome: (tag) => outcomes.get(tag),
    received: (tag) => bytes.get(tag) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
