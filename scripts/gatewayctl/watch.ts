/**
 * `gatewayctl watch`: the change feed live, one line per change, until interrupted. From a gateway's
 * admin API (`GET /admin/events`, Server-Sent Events: works on the embedded store, no Redis needed), or,
 * when a Redis target is given, from `dg:changes` in Redis directly (no gateway needed).
 */
import { RedisStore } from '../../gateway/store/redis.ts';
import type { RedisTarget } from '../../gateway/store/redis-target.ts';
import type { StoreChange } from '../../gateway/store/store.ts';
import type { AdminApi } from './admin-api.ts';

export function describeChange(change: StoreChange, at = new Date()): string {
  const time = at.toISOString().slice(11, 23);
  switch (change.kind) {
    case 'routes':
      return `${time}  routes    v${change.version}  ${change.containerId}  ${change.hostnames.join(' ')}`;
    case 'liveness':
      return `${time}  online    ${change.containerId}`;
    case 'revoked':
      return `${time}  revoked   ${change.containerId}`;
    case 'location':
      return `${time}  location  ${change.containerId}  ${change.gatewayId ?? '(none)'}  e${change.epoch}`;
    case 'pool':
      return `${time}  pool      ${change.gatewayId}`;
    default:
      return `${time}  resync    (reconnected: changes may have been missed)`;
  }
}

/** Prints changes until SIGINT/SIGTERM; `--json` prints one JSON object per line. */
export async function watch(target: RedisTarget, json: boolean): Promise<void> {
  const store = new RedisStore(target);
  await store.ping();
  const unsubscribe = await store.subscribe((change) =>
    process.stdout.write(
      `${json ? JSON.stringify({ at: Date.now(), ...change }) : describeChange(change)}\n`,
    ),
  );
  process.stderr.write('watching dg:changes (Ctrl-C stops)\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await unsubscribe();
  await store.close();
}

export interface WatchOutput {
  json: boolean;
  write: (line: string) => void;
  /** Stops watching (SIGINT/SIGTERM in the CLI). */
  signal: AbortSignal;
}

/** Splits an SSE text stream into `[event, data]` messages (comments and `retry:` skipped) until it ends or `signal` aborts. */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<[string, string]> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) yield [event, data.join('\n')];
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/**
 * Prints the admin API's event stream until `signal` aborts. A stream that ends (the gateway restarted)
 * is opened again after a second, with a `resync` line: changes in between were not seen.
 */
export async function watchAdminEvents(api: AdminApi, out: WatchOutput): Promise<void> {
  const print = (change: StoreChange & { at?: number }) =>
    out.write(
      out.json
        ? JSON.stringify({ at: Date.now(), ...change })
        : describeChange(change, new Date(change.at ?? Date.now())),
    );
  let seen = false;
  while (!out.signal.aborted) {
    // The first connection must work; later ones (the gateway restarting) are retried every second.
    const res = await api.request('/admin/events').catch((err: unknown) => {
      if (!seen) throw err;
      return null;
    });
    if (res === null) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    seen = true;
    if (!res.ok || !res.body)
      throw new Error(`the admin API at ${api.base} answered ${res.status} for /admin/events`);
    try {
      for await (const [, data] of sseMessages(res.body, out.signal)) print(JSON.parse(data) as StoreChange);
    } catch {
      // The connection dropped (or we were stopped): reopen below unless stopped.
    }
    if (out.signal.aborted) return;
    print({ kind: 'resync' });
    await new Promise((r) => setTimeout(r, 1000));
  }
}
