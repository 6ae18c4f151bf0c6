import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { StoreUnavailableError } from '../../gateway/store/store.ts';
import { StoreHealth } from '../../gateway/store/store-health.ts';

/** A StoreHealth on a hand-driven clock whose log lines the test reads. */
function setup() {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', (l) => lines.push(...l.split('\n').map((x) => JSON.parse(x))));
  const health = new StoreHealth(log, { now: () => now, downAfter: 3 });
  const changes: string[] = [];
  health.onChange((state, previous) => changes.push(`${previous}->${state}`));
  return { health, lines, changes, advance: (ms: number) => (now += ms) };
}

const ok = async () => {};
const timeout = async () => Promise.reject(new StoreUnavailableError('timeout'));

describe('StoreHealth', () => {
  it('goes down at once when the connection drops, and back when it is ready again: one line each', () => {
    const { health, lines, advance } = setup();
    health.succeeded(0.4);
    health.failed('disconnected');
    for (let i = 0; i < 5; i++) health.failed('refused'); // reconnect attempts: no more lines
    expect(health.down).toBe(true);
    advance(2_500);
    health.succeeded(); // the connection is ready again
    expect(health.state).toBe('up');
    expect(lines.map((l) => [l.level, l.msg, l.reason])).toEqual([
      ['warn', 'store down', 'disconnected'],
      ['info', 'store back', 'disconnected'],
    ]);
    expect(lines[1]).toMatchObject({ awayMs: 2_500, from: 'down' });
  });

  it('is degraded by a failed command, down after several in a row, and back after a clean check', async () => {
    const { health, lines, changes } = setup();
    health.failed('timeout', 1000);
    expect(health.state).toBe('degraded');
    health.succeeded(1);
    health.failed('timeout', 1000);
    health.failed('timeout', 1000);
    expect(health.state).toBe('degraded'); // two in a row
    health.failed('timeout', 1000);
    expect(health.down).toBe(true);
    await health.check(ok);
    expect(changes).toEqual(['up->degraded', 'degraded->down', 'down->up']);
    expect(lines.map((l) => l.msg)).toEqual(['store degraded', 'store down', 'store back']);
  });

  it('stays degraded until a whole check interval passed without a failure', async () => {
    const { health, changes } = setup();
    health.failed('server_error', 2);
    await health.check(ok); // the failure was in this interval
    expect(health.state).toBe('degraded');
    await health.check(ok);
    expect(health.state).toBe('up');
    expect(changes).toEqual(['up->degraded', 'degraded->up']);
  });

  it("is down when its own check fails, with the check's reason", async () => {
    const { health, lines } = setup();
    await health.check(timeout);
    expect(health.down).toBe(true);
    expect(lines).toMatchObject([{ msg: 'store down', reason: 'timeout', from: 'up' }]);
  });

  it('renders its state, command latency and failures by reason', () => {
    const { health } = setup();
    health.succeeded(0.3);
    health.failed('timeout', 1000);
    health.failed('refused');
    const text = health.render();
    expect(text).toContain('gateway_store_up 0');
    expect(text).toContain('gateway_store_state{state="down"} 1');
    expect(text).toContain('gateway_store_command_duration_seconds_count 2');
    expect(text).toContain('gateway_store_command_duration_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('gateway_store_failures_total{reason="timeout"} 1');
    expect(text).toContain('gateway_store_failures_total{reason="refused"} 1');
    expect(text).toContain('gateway_store_failures_total{reason="server_error"} 0');
  });
});
