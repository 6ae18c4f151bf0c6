import { describe, expect, it } from 'vitest';
import { LivenessClock } from '../../gateway/routes/liveness.ts';

const S = 1_000;

describe('LivenessClock', () => {
  it('keeps a container online while the store is away, then gives it a liveness timeout to beat again', () => {
    let now = 100 * S;
    const clock = new LivenessClock(45 * S, () => now);
    const beat = 90 * S; // online: 10 s old
    clock.storeAway(100 * S);
    now = 400 * S; // five minutes of outage
    expect(clock.online(beat)).toBe(true);
    clock.storeBack();
    now = 400 * S + 30 * S; // back for 30 s, no beat yet: still online (the clock is behind by the outage)
    expect(clock.online(beat)).toBe(true);
    now = 400 * S + 45 * S; // back for a full timeout without a beat: offline
    expect(clock.online(beat)).toBe(false);
    expect(clock.online(now - S)).toBe(true);
  });

  it('judges at the real time when the store was never away', () => {
    let now = 100 * S;
    const clock = new LivenessClock(45 * S, () => now);
    expect(clock.online(90 * S)).toBe(true);
    now = 136 * S;
    expect(clock.online(90 * S)).toBe(false);
    expect(clock.online(null)).toBe(false);
  });
});
