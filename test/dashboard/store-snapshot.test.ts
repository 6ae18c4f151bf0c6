/** The dashboard's shared table reads: one read serves requests until a change arrives on the feed. */
import { describe, expect, it } from 'vitest';
import { storeSnapshots } from '../../gateway/control/dashboard/store-snapshot.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { reg, svc, T0 } from '../store/fixtures.ts';

class CountingStore extends MemoryStore {
  reads = 0;
  override async listContainers() {
    this.reads++;
    return super.listContainers();
  }
}

describe('dashboard store snapshots', () => {
  it('reuses one read until the feed reports a change, then reads again', async () => {
    const store = new CountingStore();
    await store.mapService(reg('s1'), svc('s1', 'web', 8000), T0);
    const snapshots = storeSnapshots(store);
    await snapshots.tables(); // subscribes; this first read is not reused
    await new Promise((r) => setTimeout(r, 0));
    const reads = store.reads;
    const [a, b] = await Promise.all([snapshots.tables(), snapshots.tables()]);
    expect(a).toBe(b);
    expect((await snapshots.tables()).containers.map((c) => c.containerId)).toEqual(['s1']);
    expect(store.reads).toBe(reads + 1);

    await store.mapService(reg('s2'), svc('s2', 'web', 8000), T0);
    expect((await snapshots.tables()).containers.map((c) => c.containerId).sort()).toEqual(['s1', 's2']);
    expect(store.reads).toBe(reads + 2);
  });
});
