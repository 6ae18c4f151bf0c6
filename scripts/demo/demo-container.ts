/**
 * A demo "container" on loopback: an HTML page that opens a WebSocket back to its own hostname and shows
 * the echo. It registers itself with the gateway exactly as a legacy image does (map every 15 s, watchdog).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demiurge demo container</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:10vh auto;padding:0 1rem}code{background:#eee;padding:0 .3em}</style></head>
<body><h1>Hello from the demo container</h1>
<p>This page came through the gateway's Stage 2 proxy. WebSocket: <code id="ws">connecting…</code></p>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo');
ws.onopen = () => ws.send('ping ' + Date.now());
ws.onmessage = (e) => { document.getElementById('ws').textContent = 'echoed: ' + e.data; };
ws.onerror = () => { document.getElementById('ws').textContent = 'error'; };
</script></body></html>`;

export interface DemoContainer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startDemoContainer(port = 0): Promise<DemoContainer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(String(data))));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Legacy-format registration: what `map_http_service` and `watchdog` send, every 15 s. */
export function registerLegacy(
  gatewayBase: string,
  token: string,
  projectId: string,
  service: string,
  port: number,
  intervalMs = 15_000,
) {
  const post = (event: string) =>
    fetch(`${gatewayBase}/collab/event`, {
      method: 'POST',
      headers: { Authorization: token, 'Content-Type': 'application/json' },
      body: `{"event":${event},"project_id":"${projectId}"}`,
    }).then((r) => r.status);
  const beat = async () => {
    await post(`{"type":"user-container:map-http-service","port":${port},"name":"${service}"}`);
    await post(
      '{"type":"user-container:watchdog","system":{"cpu":{"usage":"0.01, 0.02, 0.03","count":"2"}}}',
    );
  };
  const timer = setInterval(() => void beat().catch(() => {}), intervalMs);
  timer.unref();
  return { first: beat(), stop: () => clearInterval(timer) };
}
