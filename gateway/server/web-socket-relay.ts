/**
 * WebSocket proxying for the Deno and Bun adapters: the upstream is opened first (`raw-upstream.ts`) with
 * the client's subprotocols and forwarded headers, then the client is accepted by the runtime's server
 * with the subprotocol the upstream chose, and messages are relayed one by one (text stays text, binary
 * stays binary) with close codes passed on. A client slower than its app stops the reading of the app
 * (back-pressure) until it has caught up. Each relay is registered so a route change closes it. No idle
 * cut-off: runtimes only ping.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ProxyParts } from '../gateway.ts';
import { CLIENT_LEFT, type ClosedBy, type ExchangeFacts } from '../proxy/access-log.ts';
import type { Outcome } from '../proxy/gated.ts';
import type { ScannedRequest } from '../proxy/headers.ts';
import { errorAnswer } from '../proxy/pages.ts';
import { SecurityReason } from '../security-log.ts';
import type { ResolvedRoute } from '../store/store.ts';
import { type FetchProxy, type Forward, pathOf } from './fetch-proxy.ts';
import { closeWith, type HandshakeFailure, refusal, type UpstreamSocket } from './web-socket-handshake.ts';

/** The client's half as each runtime's server socket offers it. */
export interface ClientSide {
  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued towards the client and not yet written. */
  buffered(): number;
}

/** What the relay asks of an adapter to open the upstream WebSocket. */
export interface UpstreamTarget {
  host: string;
  port: number;
  /** Path and query as the client sent them. */
  path: string;
  protocols: string[];
  /** The forwarded headers (`handshakeHeaders`). */
  headers: [string, string][];
  /** Deadline for the upstream's handshake (covers connect). */
  timeoutMs: number;
  /** The client's request: its abort lets the handshake go. */
  client: AbortSignal;
}

/** Opens the upstream socket: the open socket, or how the handshake ended. */
export type OpenUpstream = (target: UpstreamTarget) => Promise<UpstreamSocket | HandshakeFailure>;

/** Accepts the client with the upstream's subprotocol; returns the runtime's answer to the Request. */
export type AcceptClient<Answer> = (protocol: string, relay: Relay) => Answer;

export interface WebSocketRelayDeps extends ProxyParts {
  openUpstream: OpenUpstream;
  /** Deadline for the upstream's handshake (covers connect). */
  headersTimeoutMs: number;
}

/** The largest message relayed either way (Bun's server refuses larger ones from the client). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The app is no longer read past this many bytes queued towards the client... */
export const PAUSE_AT_BYTES = 2 * 1024 * 1024;
/** ...and reads again once the queue is down to this, looked at every DRAIN_POLL_MS. */
export const RESUME_AT_BYTES = 512 * 1024;
const DRAIN_POLL_MS = 1;

const GOING_AWAY = 1001;

/** One proxied WebSocket: upstream open, client attached once the runtime accepted it. */
export class Relay {
  #client: ClientSide | undefined;
  #pending: (string | ArrayBuffer | Uint8Array<ArrayBuffer>)[] = [];
  #closed = false;
  #unregister: (() => void) | undefined;
  /** `performance.now()` when the client was accepted. */
  #opened = 0;

  /** Reading from the app is stopped until the client's queue drains. */
  #paused = false;

  constructor(
    private readonly upstream: UpstreamSocket,
    private readonly route: ResolvedRoute,
    private readonly deps: WebSocketRelayDeps,
    /** The handshake, as the access log reads it. */
    private readonly facts: ExchangeFacts,
    /** Epoch ms when the session that allowed it ends. */
    private readonly expiresAt?: number,
  ) {
    upstream.start({
      message: (data) => this.#toClient(data),
      closed: (code, reason) => this.#finish(code, reason, 'upstream'),
      failed: () => this.#finish(1011, 'upstream failed', 'upstream'),
    });
    // Not read until the client is accepted: what the app says meanwhile waits in its socket.
    upstream.pause();
  }

  /** The request's id, echoed in the handshake's answer. */
  get requestId(): string {
    return this.facts.scanned.requestId;
  }

  /** The runtime accepted the client: flush what the upstream said meanwhile, start counting. */
  attach(client: ClientSide): void {
    if (this.#closed) {
      closeWith(client, GOING_AWAY, 'upstream closed');
      return;
    }
    this.#client = client;
    this.#opened = performance.now();
    const { metrics, websockets } = this.deps;
    metrics.openWebSockets++;
    metrics.webSocketsTotal++;
    this.#unregister = websockets.add({
      route: this.route,
      expiresAt: this.expiresAt,
      close: (reason) => this.#finish(GOING_AWAY, reason ?? 'route changed', 'gateway'),
    });
    for (const data of this.#pending) this.#toClient(data);
    this.#pending = [];
    if (!this.#paused) this.upstream.resume();
  }

  fromClient(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void {
    this.deps.activity.touch(this.route.containerId);
    if (!this.#closed) this.upstream.send(data);
  }

  clientClosed(code: number, reason: string): void {
    this.#finish(code, reason, 'client');
  }

  /** The runtime could not accept the client after all: let the upstream go. */
  abandon(): void {
    this.#finish(GOING_AWAY, 'client gone', 'client');
  }

  #toClient(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void {
    const client = this.#client;
    if (!client) return void this.#pending.push(data);
    if (this.#closed) return;
    client.send(data);
    if (this.#paused || client.buffered() <= PAUSE_AT_BYTES) return;
    // Back-pressure: the app is read again once the client has taken most of what is queued (the
    // runtimes' server sockets have no drain event).
    this.#paused = true;
    this.upstream.pause();
    const drained = () => {
      if (this.#closed) return;
      if (client.buffered() > RESUME_AT_BYTES) return void setTimeout(drained, DRAIN_POLL_MS);
      this.#paused = false;
      this.upstream.resume();
    };
    setTimeout(drained, DRAIN_POLL_MS);
  }

  /** Ends both halves once, passing the closing side's code to the other. */
  #finish(code: number, reason: string, by: ClosedBy): void {
    if (this.#closed) return;
    this.#closed = true;
    if (by !== 'upstream') this.upstream.close(code, reason);
    if (by !== 'client' && this.#client) closeWith(this.#client, code, reason);
    if (this.#client) {
      this.deps.metrics.openWebSockets--;
      this.#unregister?.();
      this.deps.accessLog.webSocketClosed(this.facts, this.#opened, by);
    }
  }
}

/**
 * Headers for the upstream handshake: the scanned ones (`raw-upstream.ts` writes its own
 * `sec-websocket-*`), the client's cookies minus ours, the gateway's identity headers.
 */
function handshakeHeaders(scanned: ScannedRequest, outcome: Forward): [string, string][] {
  const out: [string, string][] = [];
  const h = scanned.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i] as string;
    if (!name.startsWith('sec-websocket-')) out.push([name, h[i + 1] as string]);
  }
  if (outcome.cookie) out.push(['cookie', outcome.cookie]);
  const identity = outcome.identityHeaders;
  if (identity)
    for (let i = 0; i < identity.length; i += 2) out.push([identity[i] as string, identity[i + 1] as string]);
  return out;
}

/** Builds the upgrade handler for `uc-*` WebSocket requests. */
export function createWebSocketRelay(deps: WebSocketRelayDeps, proxy: FetchProxy) {
  async function relay<Answer>(
    request: Request,
    scanned: ScannedRequest,
    outcome: Forward,
    started: number,
    accept: AcceptClient<Answer>,
  ): Promise<Response | Answer> {
    const route = outcome.forward;
    deps.activity.touch(route.containerId);
    const protocols = (request.headers.get('sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const sent = performance.now();
    const target = {
      host: route.upstream,
      port: route.port,
      path: pathOf(request.url),
      headers: handshakeHeaders(scanned, outcome),
      timeoutMs: deps.headersTimeoutMs,
      client: request.signal,
    };
    const upstream = await deps.openUpstream({ ...target, protocols });
    // A handshake that did not switch ends its connection, as on Node (where the socket was handed over).
    if ('failed' in upstream)
      return proxy.upstreamFailure(upstream.failed, route, request, scanned, started, true);
    if ('clientLeft' in upstream)
      return proxy.answer(CLIENT_LEFT, started, request, scanned, { route, cut: 'client' });
    if ('refusedWith' in upstream) {
      deps.security.event(SecurityReason.UpgradeRefusedByApp, {
        requestId: scanned.requestId,
        host: route.hostname,
        status: upstream.refusedWith,
      });
      const refused = refusal(upstream.refusedWith, route);
      return proxy.answer(
        refused,
        started,
        request,
        scanned,
        { route, code: ErrorCode.UpgradeRefused },
        true,
      );
    }
    const facts = {
      scanned,
      route,
      method: 'GET',
      target: request.url,
      started,
      sent,
      answered: performance.now(),
    };
    const answer = accept(upstream.protocol, new Relay(upstream, route, deps, facts, outcome.expiresAt));
    // The switch (the runtime answers 101 once this returns); a failed accept was answered 400 instead.
    if (!(answer instanceof Response) || answer.status === 101)
      deps.accessLog.exchange(facts, 101, 0, 'app', undefined, undefined);
    return answer;
  }

  /** The public listener's handler for `uc-*` WebSocket upgrades. */
  function handleUpgrade<Answer>(
    request: Request,
    clientAddress: string,
    accept: AcceptClient<Answer>,
  ): Response | Promise<Response | Answer> {
    const started = performance.now();
    const { scanned, outcome } = proxy.prepare(request, clientAddress, true);
    if (request.method !== 'GET') {
      const refused = errorAnswer({ code: ErrorCode.BadRequest }, false);
      return proxy.answer(refused, started, request, scanned, { code: ErrorCode.BadRequest }, true);
    }
    const act = (o: Outcome) =>
      'forward' in o
        ? relay(request, scanned, o, started, accept)
        : proxy.answer(o.answer, started, request, scanned, o);
    return outcome instanceof Promise ? outcome.then(act) : act(outcome);
  }

  return { handleUpgrade };
}
