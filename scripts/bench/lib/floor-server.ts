/**
 * A server that answers every request with the same 100 bytes, itself (no upstream), in one of three
 * ways: `node-http` (node:http), `front-end` (the gateway's HTTP/1.1 front end) or `net` (a prepared
 * answer written per request head, no parsing: the floor of a Node server on this machine).
 * Usage: node --import tsx scripts/bench/lib/floor-server.ts <kind> <port>
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createHttp1Server } from '../../../gateway/server/http1/server.ts';

const BODY = 'x'.repeat(100);
const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

if (kind === 'node-http') {
  createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
    res.end(BODY);
  }).listen(port, '127.0.0.1');
} else if (kind === 'front-end') {
  const body = Buffer.from(BODY);
  createHttp1Server(
    { headersTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 },
    {
      request: (_req, res) => {
        res.writeHead(200, undefined, ['content-type', 'text/plain']);
        res.end(body);
      },
      upgrade: (_req, socket) => socket.destroy(),
    },
  ).server.listen(port, '127.0.0.1');
} else if (kind === 'net') {
  const answer = Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n${BODY}`,
  );
  createNetServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.on('data', (data: Buffer) => {
      for (let at = data.indexOf('\r\n\r\n'); at !== -1; at = data.indexOf('\r\n\r\n', at + 4))
        socket.write(answer);
    });
  }).listen(port, '127.0.0.1');
} else {
  console.error(`unknown kind ${kind}: node-http, front-end or net`);
  process.exit(2);
}
