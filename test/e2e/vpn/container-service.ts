/**
 * The small service a simulated container runs (the legacy images' ttyd stands in here): on
 * SERVICE_PORT (7681), all interfaces, a page naming its container that opens a WebSocket back to its
 * own host, and a WebSocket echo that prefixes each message with the container's name. Run inside a
 * container with `node --import <tsx loader> container-service.ts` (see legacy-container.ts).
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const owner = (process.env.SERVICE_OWNER ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '');
const port = Number(process.env.SERVICE_PORT ?? 7681);

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${owner}</title></head>
<body><h1 id="owner">${owner}</h1><p>WebSocket: <code id="ws">connecting</code></p>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo');
ws.onopen = () => ws.send('hello from the browser');
ws.onmessage = (e) => { document.getElementById('ws').textContent = e.data; };
ws.onerror = () => { document.getElementById('ws').textContent = 'error'; };
</script></body></html>`;

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-served-by': owner });
  res.end(req.url === '/whoami' ? owner : page);
});
new WebSocketServer({ server }).on('connection', (socket) =>
  socket.on('message', (data) => socket.send(`${owner}: ${String(data)}`)),
);
server.listen(port, '0.0.0.0', () => console.log(`service ${owner} listening on ${port}`));
