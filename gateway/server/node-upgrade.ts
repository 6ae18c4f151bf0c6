/** Node WebSocket relay: `dispatch({upgrade})` to the upstream, then raw bytes piped both ways. */
import type { Duplex } from 'node:stream';
import type { ActivityTracker } from '../proxy/activity.ts';
import { filterResponseHeaders } from '../proxy/headers.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';
import type { ProxyErrorAnswer } from '../proxy/pages.ts';
import type { UpstreamPools } from '../proxy/upstreams.ts';
import type { WebSocketRegistry } from '../proxy/websockets.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { Http1Request } from './http1/request.ts';

const WS_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]); // close frame, code 1001

/** Writes an HTTP answer on a socket that asked to upgrade, and closes it. */
export function answerOnSocket(socket: Duplex, answer: ProxyErrorAnswer): void {
  let head = `HTTP/1.1 ${answer.status} ${answer.status < 400 ? 'Redirect' : 'Refused'}\r\n`;
  for (const [name, value] of Object.entries(answer.headers))
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  socket.end(
    `${head}content-length: ${Buffer.byteLength(answer.body)}\r\nconnection: close\r\n\r\n${answer.body}`,
  );
}

export interface UpgradeRelayDeps {
  pools: UpstreamPools;
  metrics: ProxyMetrics;
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
  headersTimeoutMs: number;
  /** Answer for an upstream that failed before switching protocols. */
  onUpstreamError(err: Error & { code?: string }, origin: string, route: ResolvedRoute): ProxyErrorAnswer;
}

export function relayUpgrade(
  deps: UpgradeRelayDeps,
  req: Http1Request,
  client: Duplex,
  head: Buffer,
  headers: string[],
  route: ResolvedRoute,
  upgrade: string,
  expiresAt?: number,
): void {
  const { metrics, activity, websockets } = deps;
  activity.touch(route.containerId);
  const origin = `http://${route.upstream}:${route.port}`;
  deps.pools.get(origin, Date.now()).dispatch(
    {
      origin,
      method: 'GET',
      path: req.url,
      headers,
      upgrade,
      headersTimeout: deps.headersTimeoutMs,
    },
    {
      onConnect() {},
      onHeaders() {
        return true;
      },
      onData() {
        return true;
      },
      onComplete() {},
      onUpgrade(status: number, raw: Buffer[], upstream: Duplex) {
        const lines = filterResponseHeaders(raw, true);
        let text = `HTTP/1.1 ${status} Switching Protocols\r\n`;
        for (let i = 0; i < lines.length; i += 2) text += `${lines[i]}: ${lines[i + 1]}\r\n`;
        client.write(`${text}\r\n`);
        if (head.length > 0) upstream.write(head);
        metrics.openWebSockets++;
        metrics.webSocketsTotal++;
        let closed = false;
        const unregister = websockets.add({
          route,
          expiresAt,
          close() {
            client.end(WS_GOING_AWAY);
            upstream.destroy();
          },
        });
        const finish = () => {
          if (closed) return;
          closed = true;
          unregister();
          metrics.openWebSockets--;
          client.destroy();
          upstream.destroy();
        };
        client.on('close', finish).on('error', finish);
        upstream.on('close', finish).on('error', finish);
        client.on('data', () => activity.touch(route.containerId));
        upstream.pipe(client);
        client.pipe(upstream);
      },
      onError(err: Error & { code?: string }) {
        answerOnSocket(client, deps.onUpstreamError(err, origin, route));
      },
    } as never,
  );
}
