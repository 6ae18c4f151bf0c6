/** `gateway_build_info{version,runtime,runtime_version} 1`: which gateway, on which runtime, answers. */
import { readFileSync } from 'node:fs';
import { family, type MetricsPart, sample } from './exposition.ts';

export interface BuildInfo {
  version: string;
  runtime: 'node' | 'deno' | 'bun';
  runtimeVersion: string;
}

/** Read once at start: the version in package.json and the runtime this process runs on. */
export function readBuildInfo(): BuildInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  // Deno and Bun report a Node version in process.versions.node too: ask them first.
  const [runtime, runtimeVersion] = g.Deno
    ? (['deno', g.Deno.version.deno] as const)
    : g.Bun
      ? (['bun', g.Bun.version] as const)
      : (['node', process.versions.node] as const);
  return { version: pkg.version ?? 'unknown', runtime, runtimeVersion };
}

export function buildInfoMetrics(info: BuildInfo): MetricsPart {
  const text = family('gateway_build_info', 'gauge', 'The running gateway: its version and runtime.', [
    sample(
      'gateway_build_info',
      { version: info.version, runtime: info.runtime, runtime_version: info.runtimeVersion },
      1,
    ),
  ]);
  return { render: () => text };
}
