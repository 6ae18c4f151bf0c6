import { afterEach, describe, expect, it } from 'vitest';
import { AnswerDeadlines, type AwaitingAnswer } from '../../gateway/server/answer-deadlines.ts';

/** An exchange that records when it timed out. */
function exchange(name: string, log: string[]): AwaitingAnswer {
  return {
    awaitingSince: 0,
    previousAwaiting: undefined,
    nextAwaiting: undefined,
    answerTimedOut: () => log.push(name),
  };
}

describe('AnswerDeadlines', () => {
  const opened: AnswerDeadlines[] = [];
  const deadlines = (timeoutMs: number) => {
    const d = new AnswerDeadlines(timeoutMs);
    opened.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of opened.splice(0)) d.close();
  });

  it('times out, in order, exactly the exchanges that waited the whole timeout', () => {
    const log: string[] = [];
    const d = deadlines(1000);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => exchange(n, log)) as [
      AwaitingAnswer,
      AwaitingAnswer,
      AwaitingAnswer,
    ];
    d.start(a, 0);
    d.start(b, 10);
    d.start(c, 20);
    d.sweep(999);
    expect(log).toEqual([]);
    d.sweep(1010);
    expect(log).toEqual(['a', 'b']);
    expect(d.size).toBe(1);
    d.sweep(5000);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(d.size).toBe(0);
  });

  it('forgets an exchange whose answer came, wherever it is in the list, and only once', () => {
    const log: string[] = [];
    const d = deadlines(1000);
    const all = ['a', 'b', 'c', 'd'].map((n) => exchange(n, log));
    for (const [i, e] of all.entries()) d.start(e, i);
    const [a, b, , last] = all as [AwaitingAnswer, AwaitingAnswer, AwaitingAnswer, AwaitingAnswer];
    d.stop(b); // middle
    d.stop(a); // head
    d.stop(last); // tail
    d.stop(b); // not waiting any more: nothing changes
    expect(d.size).toBe(1);
    d.sweep(10_000);
    expect(log).toEqual(['c']);
    // The list is usable again after it was emptied.
    d.start(a, 20_000);
    d.sweep(21_000);
    expect(log).toEqual(['c', 'a']);
  });

  it('keeps nothing when there is no timeout', () => {
    const log: string[] = [];
    const d = deadlines(0);
    d.start(exchange('a', log), 0);
    d.sweep(Number.MAX_SAFE_INTEGER);
    expect(d.size).toBe(0);
    expect(log).toEqual([]);
  });

  it('sweeps by itself', async () => {
    const log: string[] = [];
    const d = deadlines(40);
    d.start(exchange('a', log), performance.now());
    for (let i = 0; i < 100 && log.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['a']);
  });
});
