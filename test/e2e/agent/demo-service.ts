/**
 * The small service a simulated container serves behind the agent: on SERVICE_PORT, all interfaces, a page
 * naming its container that opens a WebSocket back to its own host (the result lands in `#ws`), and a
 * WebSocket echo prefixing each message with the container's name. Run inside a container with
 * `node --import <tsx loader> demo-service.ts` (see agent-container.ts); prints `listening <port>`.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const owner = (process.env.SERVICE_OWNER ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '');
const port = Number(process.env.SERVICE_PORT ?? 8080);

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${owner}</title></head>
<body><h1 id="owner">served by ${owner}</h1><p>WebSocket: <code id="ws">connecting</code></p>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo');
ws.onopen = () => ws.send('ping');
ws.onmessage = (e) => { document.getElementById('ws').textContent = e.data; };
ws.onerror = () => { document.getElementById('ws').textContent = 'error'; };
</script></body></html>`;

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(req.url === '/whoami' ? owner : page);
});
new WebSocketServer({ server }).on('connection', (socket) =>
  socket.on('message', (data) => socket.send(`${owner} echoes ${String(data)}`)),
);
server.listen(port, '0.0.0.0', () => console.log(`listening ${port}`));
