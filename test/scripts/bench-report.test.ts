import { describe, expect, it } from 'vitest';
import type { ProxyUnderTest } from '../../scripts/bench/lib/proxy-under-test.ts';
import { markdownTable, summarise } from '../../scripts/bench/lib/report.ts';
import { benchSample } from '../support/bench-sample.ts';

const proxy = (name: string): ProxyUnderTest => ({
  name,
  label: name,
  start: () => Promise.reject(new Error('not started in this test')),
});

describe('bench report', () => {
  const proxies = [proxy('nginx'), proxy('gateway-node')];
  // nginx moves a lot between repetitions; the gateway moves with it.
  const samples = [
    benchSample('nginx', 1, 40_000, 2),
    benchSample('gateway-node', 1, 20_000, 5),
    benchSample('nginx', 2, 20_000, 6),
    benchSample('gateway-node', 2, 9_000, 9),
    benchSample('nginx', 3, 30_000, 3),
    benchSample('gateway-node', 3, 12_000, 9),
  ];

  it('pairs each repetition with nginx in the same repetition, for req/s and for p99', () => {
    const [nginx, gateway] = summarise(proxies, samples, new Map(), 100);
    expect(nginx?.xNginxPaired).toBe(1);
    expect(nginx?.p99XNginxPaired).toBe(1);
    // Ratios 0.5, 0.45, 0.4: median 0.45 (the ratio of the medians would be 12,000 / 30,000 = 0.4).
    expect(gateway?.xNginxPaired).toBeCloseTo(0.45);
    // p99 ratios 2.5, 1.5, 3: median 2.5 (the ratio of the medians would be 9 / 3 = 3).
    expect(gateway?.p99XNginxPaired).toBeCloseTo(2.5);
    expect(gateway?.p99Ms).toBe(9);
  });

  it('leaves a repetition without nginx out of the pairs', () => {
    const withoutNginx = samples.filter((s) => !(s.proxy === 'nginx' && s.repetition === 1));
    const gateway = summarise(proxies, withoutNginx, new Map(), 100)[1];
    expect(gateway?.repetitions).toBe(3);
    // Pairs left: 0.45 and 0.4 (median 0.425); p99 1.5 and 3 (median 2.25).
    expect(gateway?.xNginxPaired).toBeCloseTo(0.425);
    expect(gateway?.p99XNginxPaired).toBeCloseTo(2.25);
  });

  it('prints the paired p99 column', () => {
    const table = markdownTable(summarise(proxies, samples, new Map(), 100));
    expect(table).toContain('| p99 x nginx (paired) |');
    expect(table).toMatch(/\| gateway-node \| 12,000 \| 4\.50 \/ 9\.00 \| 83\.3 \| 0\.45 \| 2\.50 \| 10 \|/);
  });
});
