import { describe, expect, it } from 'vitest';
import { inSlices } from '../../gateway/store/in-slices.ts';

describe('inSlices', () => {
  it('reads every item in order, never more than a slice at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const read = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n % 3));
      inFlight--;
      return n * 2;
    };
    const items = Array.from({ length: 1_234 }, (_, i) => i);
    expect(await inSlices(items, read, 100)).toEqual(items.map((n) => n * 2));
    expect(most).toBe(100);
  });

  it('fails with the first failed read and starts no later slice', async () => {
    const started: number[] = [];
    const read = async (n: number) => {
      started.push(n);
      if (n === 5) throw new Error('store down');
      return n;
    };
    await expect(inSlices([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], read, 4)).rejects.toThrow('store down');
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // the failing slice ran whole; the third never started
  });
});
