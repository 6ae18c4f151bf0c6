import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { startRetention, sweepSilentContainers } from '../../gateway/routes/retention.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { reg, stats, svc } from '../store/contract.ts';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

describe('route retention', () => {
  it('keeps offline containers until they were silent for the retention period, then removes them', async () => {
    const store = new MemoryStore();
    await store.mapService(reg('beating'), svc('beating', 'web', 80), T0);
    await store.mapService(reg('silent'), svc('silent', 'web', 80), T0);
    await store.mapService(reg('never'), svc('never', 'web', 80), T0);
    await store.recordWatchdog(reg('beating'), stats(), T0 + 23 * HOUR, 45_000);
    await store.recordWatchdog(reg('silent'), stats(), T0 + HOUR, 45_000);
    // 2 h in: everyone is within 24 h of their last sign of life.
    expect(await sweepSilentContainers(store, 24 * HOUR, T0 + 2 * HOUR)).toEqual([]);
    expect(await store.listRoutes()).toHaveLength(6);
    // 26 h in: `never` (registered at T0, no watchdog) and `silent` (last beat at T0 + 1 h) go.
    expect((await sweepSilentContainers(store, 24 * HOUR, T0 + 26 * HOUR)).sort()).toEqual([
      'never',
      'silent',
    ]);
    expect((await store.listRoutes()).map((r) => r.containerId)).toEqual(['beating', 'beating']);
  });

  it('logs one line while the store cannot be swept, however many sweeps fail', async () => {
    const store = new MemoryStore();
    let sweeps = 0;
    store.listContainers = () => {
      sweeps++;
      return Promise.reject(new Error('down'));
    };
    const lines: string[] = [];
    const stop = startRetention(
      store,
      HOUR,
      createLogger('info', (l) => lines.push(l)),
      5,
    );
    for (let i = 0; i < 200 && sweeps < 4; i++) await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(sweeps).toBeGreaterThanOrEqual(4);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['retention sweep failed; will retry']);
  });
});
