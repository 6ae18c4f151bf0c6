import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collectorFlags } from '../../gateway/server/node-gc.ts';

/** What `tuneCollector()` sets in a Node process started on `cpus` (a taskset CPU list). */
function tunedOn(cpus: string): string[] {
  const run = spawnSync(
    'taskset',
    [
      '-c',
      cpus,
      'node_modules/.bin/tsx',
      '-e',
      "import { tuneCollector } from './gateway/server/node-gc.ts'; console.log(JSON.stringify(tuneCollector()));",
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe('young-generation collector tuning', () => {
  it('scavenges on the main thread alone when the process has one CPU', () => {
    expect(collectorFlags(1)).toEqual(['--no-parallel-scavenge']);
    expect(tunedOn('0')).toEqual(['--no-parallel-scavenge']);
  });

  it("keeps V8's parallel scavenging with two CPUs or more", () => {
    expect(collectorFlags(2)).toEqual([]);
    expect(collectorFlags(16)).toEqual([]);
    expect(tunedOn('0,1')).toEqual([]);
  });
});
