/**
 * The store's change feed as Server-Sent Events, for `GET /admin/events` (bearer token) and the
 * dashboard's `GET /dashboard/events` (its session): one `event: <kind>` per change with the change as
 * JSON data, and a comment line every heartbeat so proxies and load balancers keep the stream open.
 * Each client has a bounded queue: a client that stops reading is cut (its stream ends with an error),
 * never buffered without limit; a client that goes away is unsubscribed from the store at once.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { StoreChange } from '../store/store.ts';

/** The kinds of change the stream carries (the SSE `event:` field). */
export const AdminEventKind = z.enum(['routes', 'liveness', 'revoked', 'location', 'pool', 'resync']);

/** One event's data: the store change, with `at` (epoch ms) when this gateway relayed it. */
export const AdminEvent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('routes'),
    at: z.number(),
    version: z.number().int(),
    containerId: z.string(),
    hostnames: z.array(z.string()),
  }),
  z.object({
    kind: z.literal('liveness'),
    at: z.number(),
    containerId: z.string(),
    lastWatchdog: z.number(),
  }),
  z.object({ kind: z.literal('revoked'), at: z.number(), containerId: z.string() }),
  z.object({
    kind: z.literal('location'),
    at: z.number(),
    containerId: z.string(),
    gatewayId: z.string().nullable(),
    epoch: z.number(),
  }),
  z.object({ kind: z.literal('pool'), at: z.number(), gatewayId: z.string() }),
  z.object({ kind: z.literal('resync'), at: z.number() }),
]);
export type AdminEvent = z.infer<typeof AdminEvent>;

export interface AdminEventsOptions {
  subscribe: (listener: (change: StoreChange) => void) => Promise<() => Promise<void>>;
  /** A comment line this often (default 15 s): idle streams stay open through proxies. */
  heartbeatMs?: number;
  /** Events a client may have queued, unread, before it is cut (default 1000). */
  maxQueued?: number;
  now?: () => number;
}

export interface AdminEvents {
  /** The Hono handler answering with the stream. */
  handler: (c: Context) => Promise<Response>;
  /** Clients connected now (each holds one subscription). */
  readonly clients: number;
  /** Clients cut for not reading, since start. */
  readonly cut: number;
}

const encoder = new TextEncoder();

/** Serialises one change as an SSE message (JSON never holds a raw newline, so one `data:` line). */
export function sseMessage(change: StoreChange, at: number): string {
  return `event: ${change.kind}\ndata: ${JSON.stringify({ at, ...change })}\n\n`;
}

export function createAdminEvents(options: AdminEventsOptions): AdminEvents {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxQueued = options.maxQueued ?? 1000;
  const now = options.now ?? Date.now;
  let clients = 0;
  let cut = 0;

  const handler = async (_c: Context): Promise<Response> => {
    let closed = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    let unsubscribe: (() => Promise<void>) | undefined;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stop = () => {
      if (closed) return;
      closed = true;
      clients--;
      clearInterval(timer);
      void unsubscribe?.().catch(() => {});
    };
    const push = (text: string) => {
      if (closed) return;
      // desiredSize counts what the runtime has not taken yet; the runtime takes only what the socket drains.
      if ((controller.desiredSize ?? 0) <= 0) {
        cut++;
        stop();
        controller.error(new Error('event stream client too slow'));
        return;
      }
      controller.enqueue(encoder.encode(text));
    };
    const stream = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c;
        },
        cancel: stop,
      },
      new CountQueuingStrategy({ highWaterMark: maxQueued }),
    );
    clients++;
    try {
      unsubscribe = await options.subscribe((change) => push(sseMessage(change, now())));
      // Cancelled while the subscription was being made: let it go now.
      if (closed) void unsubscribe().catch(() => {});
    } catch (err) {
      stop();
      throw err;
    }
    // The first bytes flush the headers: a client knows it is subscribed once it reads them.
    push(`retry: 2000\n: subscribed\n\n`);
    timer = setInterval(() => push(': heartbeat\n\n'), heartbeatMs);
    (timer as { unref?: () => void }).unref?.();
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
  };

  return {
    handler,
    get clients() {
      return clients;
    },
    get cut() {
      return cut;
    },
  };
}
