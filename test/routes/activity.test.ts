import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../gateway/log.ts';
import { ActivityTracker } from '../../gateway/proxy/activity.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import type { Store } from '../../gateway/store/store.ts';
import { reg, svc } from '../store/contract.ts';

describe('ActivityTracker', () => {
  it('keeps the latest time per container in memory and flushes it in one batch', async () => {
    const store = new MemoryStore();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), 0);
    await store.mapService(reg('c2'), svc('c2', 'web', 80), 0);
    let now = 1000;
    const batches: number[] = [];
    const record = store.recordActivity.bind(store);
    store.recordActivity = (times) => {
      batches.push(times.size);
      return record(times);
    };
    const tracker = new ActivityTracker(store, silentLogger, () => now);
    for (let i = 0; i < 100; i++) {
      tracker.touch('c1');
      now++;
    }
    tracker.touch('c2');
    expect((await store.health('c1')).lastActivity).toBeNull();
    await tracker.flush();
    expect(batches).toEqual([2]);
    expect((await store.health('c1')).lastActivity).toBe(1099);
    await tracker.flush();
    expect(batches).toEqual([2]);
  });

  it('keeps a batch the store refused, for the next flush', async () => {
    const store = new MemoryStore();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), 0);
    const failing: Store = Object.assign(Object.create(store), {
      recordActivity: async () => Promise.reject(new Error('down')),
    });
    const tracker = new ActivityTracker(failing, silentLogger, () => 42);
    tracker.touch('c1');
    await tracker.flush();
    (failing as { recordActivity: Store['recordActivity'] }).recordActivity =
      store.recordActivity.bind(store);
    await tracker.flush();
    expect((await store.health('c1')).lastActivity).toBe(42);
  });

  it('logs one line per outage, not one per failed flush, and keeps every time', async () => {
    const store = new MemoryStore();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), 0);
    const lines: string[] = [];
    let down = true;
    const record = store.recordActivity.bind(store);
    store.recordActivity = (times) => (down ? Promise.reject(new Error('down')) : record(times));
    let now = 1;
    const tracker = new ActivityTracker(
      store,
      createLogger('info', (l) => lines.push(l)),
      () => now,
    );
    for (let i = 0; i < 5; i++) {
      tracker.touch('c1');
      now++;
      await tracker.flush();
    }
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'warn', containers: 1 });
    down = false;
    await tracker.flush();
    expect((await store.health('c1')).lastActivity).toBe(5);
    down = true;
    tracker.touch('c1');
    await tracker.flush();
    expect(lines).toHaveLength(2); // a new outage, a new line
  });
});
