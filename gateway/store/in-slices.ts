/**
 * Reads many keys a slice at a time: a slice's reads leave together (ioredis auto-pipelining, per node on
 * a Cluster) and each read answers within the store's deadline. Ten thousand reads sent at once would
 * share one deadline's worth of time, and the last of them fail it on a busy server.
 */
export const READ_SLICE = 500;

export async function inSlices<T, R>(
  items: readonly T[],
  read: (item: T) => Promise<R>,
  size = READ_SLICE,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(read))));
  return out;
}
