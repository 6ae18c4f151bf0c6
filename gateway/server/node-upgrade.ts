/**
 * Node WebSocket relay: `dispatch({upgrade: 'websocket'})` to the upstream, then raw bytes piped both
 * ways. An app that answers the handshake with anything but 101 is answered like any request (the
 * `ResponseRelay` path: headers cleaned, body streamed, the same deadline), and the connection closes.
 */
import type { Duplex } from 'node:stream';
import type { ActivityTracker } from '../proxy/activity.ts';
import { filterResponseHeaders } from '../proxy/headers.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';
import type { WebSocketRegistry } from '../proxy/websockets.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { AnswerDeadlines } from './answer-deadlines.ts';
import type { HandshakeSocket } from './handshake-socket.ts';
import { ResponseRelay, type UpstreamError } from './node-relay.ts';

const WS_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]); // close frame, code 1001

export interface UpgradeRelayDeps {
  metrics: ProxyMetrics;
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
  security: SecurityLog;
  answerDeadlines: AnswerDeadlines;
}

/** One WebSocket handshake toward an upstream, and after a switch the relay of its bytes. */
export class UpgradeRelay extends ResponseRelay {
  constructor(
    private readonly handshake: HandshakeSocket,
    private readonly deps: UpgradeRelayDeps,
    private readonly route: ResolvedRoute,
    /** Epoch ms when the session that allowed it ends: the WebSocket is closed then. */
    private readonly expiresAt: number | undefined,
    started: number,
    onFailure: (relay: ResponseRelay, err: UpstreamError) => void,
    context: unknown,
  ) {
    super(handshake.response(), deps.metrics, deps.answerDeadlines, started, onFailure, context);
  }

  override onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status >= 200)
      this.deps.security.event(SecurityReason.UpgradeRefusedByApp, { host: this.route.hostname, status });
    return super.onHeaders(status, raw, resume, statusText);
  }

  onUpgrade(status: number, raw: Buffer[], upstream: Duplex): void {
    this.switched();
    const { metrics, activity, websockets } = this.deps;
    const route = this.route;
    const client = this.handshake.socket;
    if (this.handshake.gone) {
      upstream.destroy();
      return;
    }
    const early = this.handshake.detach();
    const lines = filterResponseHeaders(raw, true);
    let text = `HTTP/1.1 ${status} Switching Protocols\r\n`;
    for (let i = 0; i < lines.length; i += 2) text += `${lines[i]}: ${lines[i + 1]}\r\n`;
    client.write(`${text}\r\n`);
    if (early.length > 0) upstream.write(early);
    metrics.openWebSockets++;
    metrics.webSocketsTotal++;
    let closed = false;
    const unregister = websockets.add({
      route,
      expiresAt: this.expiresAt,
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
  }
}
