/**
 * The upstream of the WebSocket bench: every WebSocket frame echoed back, except `burst:<bytes>`, answered
 * with that many bytes in 64 KiB binary frames (a terminal dumping output) then a `burst-end` text frame;
 * plain HTTP requests get a 100-byte body. One process on the load CPU, like the HTTP bench's origin.
 * Usage: node --import tsx scripts/bench/lib/ws-echo-server.ts <port>
 */
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { SMALL_BODY } from './nginx.ts';
import { BURST_END, BURST_PREFIX } from './ws-protocol.ts';

const CHUNK = Buffer.alloc(65_536, 'z');
/** Bytes queued in the socket before the burst waits for it to drain. */
const HIGH_WATER = 1 << 20;
/**
 * Frames sent before yielding to the event loop: while the proxy drains the socket as fast as it is
 * written, writes complete at once and the loop below would not yield until the end, starving the other sockets' echoes.
 */
const FRAMES_PER_TURN = 16;

function burst(ws: WebSocket, total: number): void {
  let left = total;
  const pump = () => {
    for (let sent = 0; left > 0 && ws.readyState === ws.OPEN; sent++) {
      if (sent === FRAMES_PER_TURN) return void setImmediate(pump);
      const size = Math.min(left, CHUNK.length);
      left -= size;
      const chunk = size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size);
      // Backpressure: once the socket holds HIGH_WATER, go on when this frame has been written.
      if (ws.bufferedAmount > HIGH_WATER) return ws.send(chunk, () => pump());
      ws.send(chunk);
    }
    if (left === 0 && ws.readyState === ws.OPEN) ws.send(BURST_END);
  };
  pump();
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text.startsWith(BURST_PREFIX)) return burst(ws, Number(text.slice(BURST_PREFIX.length)));
    }
    ws.send(data, { binary: isBinary });
  });
});

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(SMALL_BODY.length) });
  res.end(SMALL_BODY);
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
server.listen(Number(process.argv[2]), '127.0.0.1', 4096);
