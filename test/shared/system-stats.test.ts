import { describe, expect, it } from 'vitest';
import { normaliseSystem, SystemStats } from '../../shared/system-stats.ts';

describe('legacy watchdog system normalisation', () => {
  it('turns the shell client strings into typed values', () => {
    const stats = normaliseSystem({
      cpu: { usage: '0.08, 0.18, 0.11', count: '4', threads_per_core: '2', model: 'Intel(R) Xeon(R)' },
      memory: { free: 13935, total: '15926' },
      disk: { size: '1.5T', usage: '13.00%' },
      network: { ping_time: '0.045/0.052/0.060/0.006 ms' },
      graphic: { cards: '00:02.0 VGA compatible controller: A\n01:00.0 3D controller: B\n' },
    });
    expect(stats).toEqual({
      cpu: { load: [0.08, 0.18, 0.11], count: 4, threadsPerCore: 2, model: 'Intel(R) Xeon(R)' },
      memory: { availableMb: 13935, totalMb: 15926 },
      disk: { sizeBytes: Math.round(1.5 * 2 ** 40), usedPercent: 13 },
      network: { pingMs: 0.052 },
      gpus: ['00:02.0 VGA compatible controller: A', '01:00.0 3D controller: B'],
    });
    expect(SystemStats.safeParse(stats).success).toBe(true);
  });

  it('makes nulls of missing or malformed values, and bounds sizes', () => {
    const stats = normaliseSystem({
      cpu: { usage: 'load?', count: [], model: 'm'.repeat(5000) },
      memory: 'x',
      graphic: { cards: 'g\n'.repeat(100) },
    });
    expect(stats.cpu).toEqual({ load: null, count: null, threadsPerCore: null, model: 'm'.repeat(200) });
    expect(stats.memory).toEqual({ availableMb: null, totalMb: null });
    expect(stats.gpus).toHaveLength(16);
    expect(SystemStats.safeParse(stats).success).toBe(true);
    expect(SystemStats.safeParse(normaliseSystem({})).success).toBe(true);
  });
});
