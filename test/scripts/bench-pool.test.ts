import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolRuns, RunFileSchema, repetitionsOf } from '../../scripts/bench/lib/pool.ts';
import { summarise } from '../../scripts/bench/lib/report.ts';
import { benchSample } from '../support/bench-sample.ts';

const run = promisify(execFile);

const rows = [
  { proxy: 'nginx', label: 'nginx' },
  { proxy: 'gateway-node', label: 'gateway (Node)' },
];
// Run A was measured on a fast machine, run B on a slow one: both have repetitions 1 and 2.
const runA = {
  rows,
  samples: [
    benchSample('nginx', 1, 40_000, 2),
    benchSample('gateway-node', 1, 20_000, 3),
    benchSample('nginx', 2, 40_000, 2),
    benchSample('gateway-node', 2, 18_000, 4),
  ],
};
const runB = {
  rows,
  samples: [
    benchSample('nginx', 1, 20_000, 4),
    benchSample('gateway-node', 1, 8_000, 12),
    benchSample('nginx', 2, 20_000, 4),
    benchSample('gateway-node', 2, 9_000, 10),
    benchSample('nginx', 2, 8_000, 10, 65536),
    benchSample('gateway-node', 2, 6_000, 12, 65536),
  ],
};

describe('pooling bench runs', () => {
  it('pairs each repetition with nginx of its own run, not with a repetition of the same number', () => {
    const pooled = poolRuns([runA, runB]);
    expect(pooled.proxies).toEqual([
      { name: 'nginx', label: 'nginx' },
      { name: 'gateway-node', label: 'gateway (Node)' },
    ]);
    expect(pooled.bodies).toEqual([100, 65536]);
    expect(repetitionsOf(pooled, 100)).toBe(4);
    expect(repetitionsOf(pooled, 65536)).toBe(1);
    const gateway = summarise(pooled.proxies, pooled.samples, new Map(), 100)[1];
    // Ratios 0.5, 0.45 (run A) and 0.4, 0.45 (run B): median 0.45. Matching repetition numbers across
    // runs would have paired run B's gateway with run A's nginx too.
    expect(gateway?.xNginxPaired).toBeCloseTo(0.45);
    // p99 ratios 1.5, 2, 3, 2.5: median 2.25.
    expect(gateway?.p99XNginxPaired).toBeCloseTo(2.25);
    expect(gateway?.repetitions).toBe(4);
  });

  it('refuses a file that is not a proxy.ts --json file', () => {
    expect(RunFileSchema.safeParse({ rows }).success).toBe(false);
    expect(RunFileSchema.safeParse({ rows, samples: [{ ...benchSample('nginx', 0, 1, 1) }] }).success).toBe(
      false,
    );
    expect(RunFileSchema.safeParse(runB).success).toBe(true);
  });

  describe('the command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-bench-pool-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const tsx = ['--import', 'tsx', 'scripts/bench/pool.ts'];
    beforeAll(() => {
      writeFileSync(join(dir, 'a.json'), JSON.stringify(runA));
      writeFileSync(join(dir, 'b.json'), JSON.stringify(runB));
    });

    it('prints one pooled table per body size', async () => {
      const { stdout } = await run(process.execPath, [...tsx, join(dir, 'a.json'), join(dir, 'b.json')]);
      expect(stdout).toContain('## 100-byte body (2 runs, 4 repetitions pooled');
      expect(stdout).toContain('## 65536-byte body (2 runs, 1 repetition pooled');
      expect(stdout).toMatch(
        /\| gateway \(Node\) \| [\d,]+ \| [\d.]+ \/ [\d.]+ \| [\d.]+ \| 0\.45 \| 2\.25 \|/,
      );
    });

    it('fails with the file named when one is not a run', async () => {
      writeFileSync(join(dir, 'bad.json'), '{"rows": []}');
      const failed = await run(process.execPath, [...tsx, join(dir, 'a.json'), join(dir, 'bad.json')]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain(
        'bad.json: not a proxy.ts --json file (samples',
      );
    });
  });
});
