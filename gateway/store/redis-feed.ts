/** The change feed's subscriber connection: `dg:changes` messages to listeners, `resync` after a reconnect. */
import type { Redis } from 'ioredis';
import type { ChangeFeed } from './change-feed.ts';
import { openSubscriber } from './redis-clients.ts';
import { failureReason } from './redis-connection.ts';
import { RedisKeys as K } from './redis-keys.ts';
import type { RedisTarget } from './redis-target.ts';
import { type StoreChange, StoreUnavailableError } from './store.ts';

/** Subscribes to `dg:changes`; resolves with the connection once the subscription is live. */
export async function subscribeChanges(
  target: string | RedisTarget,
  timeoutMs: number,
  feed: ChangeFeed,
): Promise<Redis> {
  const sub = openSubscriber(target, timeoutMs);
  sub.on('error', () => {}); // reconnects by itself; a missed message is made good by the resync below
  sub.on('message', (_channel: string, message: string) => {
    try {
      feed.emit(JSON.parse(message) as StoreChange);
    } catch {
      // A malformed message cannot be applied: treat it as a gap in the feed.
      feed.emit({ kind: 'resync' });
    }
  });
  try {
    await sub.subscribe(K.changes);
  } catch (err) {
    sub.disconnect();
    throw new StoreUnavailableError(failureReason(err));
  }
  // After a reconnect ioredis subscribes again, but messages published in between are lost. Once the
  // subscription is live again (this SUBSCRIBE is answered after ioredis' own), listeners reconcile;
  // they do even when it failed, as reconciling only reads.
  sub.on('ready', () => {
    const resync = () => feed.emit({ kind: 'resync' });
    sub.subscribe(K.changes).then(resync, resync);
  });
  return sub;
}
