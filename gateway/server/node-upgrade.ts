/**
 * Node WebSocket relay: the handshake sent on a connection of its own (`upstream-handshake.ts`), then
 * raw bytes piped both ways. An app that answers the handshake with anything but 101 is answered like
 * any request (the `ResponseRelay` path: headers cleaned, body streamed, the same deadline), and the
 * connection closes.
 */
import type { Duplex } from 'node:stream';
import type { ClosedBy } from '../proxy/access-log.ts';
import type { ActivityTracker } from '../proxy/activity.ts';
import type { ScannedRequest } from '../proxy/headers.ts';
import { filterResponseHeaders } from '../proxy/response-headers.ts';
import type { WebSocketRegistry } from '../proxy/websockets.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { HandshakeSocket } from './handshake-socket.ts';
import { type RelayDeps, ResponseRelay, type UpstreamError } from './node-relay.ts';
import { yieldingPipe } from './yielding-pipe.ts';

const WS_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]); // close frame, code 1001

export interface UpgradeRelayDeps extends RelayDeps {
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
  security: SecurityLog;
}

/** One WebSocket handshake toward an upstream, and after a switch the relay of its bytes. */
export class UpgradeRelay extends ResponseRelay {
  constructor(
    private readonly handshake: HandshakeSocket,
    private readonly upgradeDeps: UpgradeRelayDeps,
    /** Epoch ms when the session that allowed it ends: the WebSocket is closed then. */
    private readonly expiresAt: number | undefined,
    onFailure: (relay: ResponseRelay, err: UpstreamError) => void,
    scanned: ScannedRequest,
    route: ResolvedRoute,
    target: string,
    started: number,
  ) {
    super(handshake.response(), upgradeDeps, onFailure, scanned, route, 'GET', target, started);
  }

  override onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status >= 200)
      this.upgradeDeps.security.event(SecurityReason.UpgradeRefusedByApp, {
        requestId: this.scanned.requestId,
        host: this.route.hostname,
        status,
      });
    return super.onHeaders(status, raw, resume, statusText);
  }

  onUpgrade(status: number, raw: Buffer[], upstream: Duplex): void {
    this.switched();
    const { metrics, activity, websockets, accessLog } = this.upgradeDeps;
    const route = this.route;
    const client = this.handshake.socket;
    if (this.handshake.gone) {
      upstream.destroy();
      this.logged(499, 'client');
      return;
    }
    const early = this.handshake.detach();
    const lines = filterResponseHeaders(raw, this.scanned.requestId, true);
    let text = `HTTP/1.1 ${status} Switching Protocols\r\n`;
    for (let i = 0; i < lines.length; i += 2) text += `${lines[i]}: ${lines[i + 1]}\r\n`;
    client.write(`${text}\r\n`);
    if (early.length > 0) upstream.write(early);
    this.logged(status, undefined);
    const opened = performance.now();
    metrics.openWebSockets++;
    metrics.webSocketsTotal++;
    let closed = false;
    let closedBy: ClosedBy | undefined;
    const unregister = websockets.add({
      route,
      expiresAt: this.expiresAt,
      close() {
        closedBy = 'gateway';
        client.end(WS_GOING_AWAY);
        upstream.destroy();
      },
    });
    const finish = (by: ClosedBy) => {
      if (closed) return;
      closed = true;
      unregister();
      metrics.openWebSockets--;
      client.destroy();
      upstream.destroy();
      accessLog.webSocketClosed(this, opened, closedBy ?? by);
    };
    const byClient = () => finish('client');
    const byUpstream = () => finish('upstream');
    client.on('close', byClient).on('error', byClient);
    upstream.on('close', byUpstream).on('error', byUpstream);
    yieldingPipe(upstream, client);
    yieldingPipe(client, upstream, () => activity.touch(route.containerId));
  }
}
