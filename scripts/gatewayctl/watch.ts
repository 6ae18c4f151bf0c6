/** `gatewayctl watch`: the change feed (`dg:changes`) live, one line per change, until interrupted. */
import { RedisStore } from '../../gateway/store/redis.ts';
import type { StoreChange } from '../../gateway/store/store.ts';

export function describeChange(change: StoreChange, at = new Date()): string {
  const time = at.toISOString().slice(11, 23);
  switch (change.kind) {
    case 'routes':
      return `${time}  routes    v${change.version}  ${change.containerId}  ${change.hostnames.join(' ')}`;
    case 'liveness':
      return `${time}  online    ${change.containerId}`;
    case 'revoked':
      return `${time}  revoked   ${change.containerId}`;
    default:
      return `${time}  resync    (reconnected: changes may have been missed)`;
  }
}

/** Prints changes until SIGINT/SIGTERM; `--json` prints one JSON object per line. */
export async function watch(redisUrl: string, json: boolean): Promise<void> {
  const store = new RedisStore(redisUrl);
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
