/**
 * The Node front end's listener: a `net` server whose connections speak HTTP/1.1 through
 * `Http1Connection`. One sweeper per server enforces the headers and keep-alive timeouts and refreshes
 * the `Date` value, so no request starts a timer.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SharedReads } from '../shared-reads.ts';
import { type ConnectionContext, Http1Connection, Timer } from './connection.ts';
import type { Http1Handlers } from './request.ts';
import type { HeadLimits } from './request-head.ts';

export interface Http1ServerOptions extends Partial<HeadLimits> {
  /** A request head must arrive in full within this time (slow-loris); 0 turns it off. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Where connections read into (default: a buffer of this server's own). */
  reads?: SharedReads;
  /** Told of every request refused by the front end: status, reason, the peer's address. */
  onRefused?(status: number, reason: string, remoteAddress: string): void;
}

export interface Http1Server {
  readonly server: Server;
  /** Stops accepting, closes every connection (upgraded ones belong to their handlers). */
  close(): Promise<void>;
}

export function createHttp1Server(options: Http1ServerOptions, handlers: Http1Handlers): Http1Server {
  const connections = new Set<Http1Connection>();
  const interval = Math.max(100, Math.min(1000, options.headersTimeoutMs || 1000));
  const context: ConnectionContext & { tick: number; date: string } = {
    limits: { maxHeadBytes: options.maxHeadBytes ?? 16 * 1024, maxHeaders: options.maxHeaders ?? 200 },
    handlers,
    tick: 0,
    date: new Date().toUTCString(),
    reads: options.reads ?? new SharedReads(),
    forget: (connection) => connections.delete(connection),
    onRefused: options.onRefused,
  };
  const headTicks = options.headersTimeoutMs > 0 ? Math.ceil(options.headersTimeoutMs / interval) : Infinity;
  const idleTicks = Math.ceil(options.keepAliveTimeoutMs / interval);
  const sweeper = setInterval(() => {
    const tick = ++context.tick;
    context.date = new Date().toUTCString();
    for (const c of connections) {
      const limit = c.timer === Timer.Head ? headTicks : c.timer === Timer.Idle ? idleTicks : Infinity;
      if (tick - c.since > limit) c.expire(); // never early, at most one interval late
    }
  }, interval);
  sweeper.unref();

  // Half-open allowed: a client that shuts down its sending side after a request still gets the answer.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
    connections.add(new Http1Connection(socket, context));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        server.close(() => resolve());
        for (const c of connections) c.destroy();
      }),
  };
}
