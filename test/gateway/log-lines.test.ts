/** The logger's `line()`: lines an operator turned on (the access log), batched per event-loop turn. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('log lines', () => {
  it('writes the lines of one turn in one write, whatever LOG_LEVEL says, as JSON with time and msg', async () => {
    const writes: string[] = [];
    const log = createLogger('error', (text) => writes.push(text));
    log.line('access', '"status":200');
    log.line('access', '"status":502');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).split('\n').map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      { level: 'info', msg: 'access', status: 200 },
      { level: 'info', msg: 'access', status: 502 },
    ]);
    expect(Date.parse(lines[0].time)).toBeGreaterThan(0);
  });

  it('keeps the order of lines: a pending batch leaves before a line logged after it', async () => {
    const writes: string[] = [];
    const log = createLogger('info', (text) => writes.push(text));
    log.line('access', '"n":1');
    log.warn('store down', {});
    await turn();
    expect(writes.map((w) => JSON.parse(w).msg)).toEqual(['access', 'store down']);
  });
});
