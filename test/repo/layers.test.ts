/**
 * gateway/README.md's layers hold: no module imports one from a layer above its own (type imports
 * included). The wiring of parts from several layers sits at the top (gateway.ts, sign-in.ts,
 * observability.ts, main.ts, drain.ts, banner.ts), which this test leaves alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const GATEWAY = resolve(import.meta.dirname, '..', '..', 'gateway');
/** Lowest first, as gateway/README.md lists them. */
const LAYERS = ['metrics', 'store', 'routes', 'auth', 'vpn', 'proxy', 'oidc', 'control', 'pool', 'server'];
const TOP = new Set(['gateway.ts', 'sign-in.ts', 'observability.ts', 'main.ts', 'drain.ts', 'banner.ts']);
const IMPORT = /\bimport\s+(type\s)?[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/g;
/** The two known exceptions, as gateway/README.md says. */
const ALLOWED = [
  // A leaf (it imports only zod): the Redis target's environment parsing, beside the store that uses it.
  'config.ts -> store/redis-target.ts',
];
/** `server/` takes the graph's type from gateway.ts: type imports only. */
const TYPE_ONLY_TOP = 'gateway.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A gateway module's layer index: its folder's place, -1 for the neutral files at the bottom, Infinity at the top. */
function layerOf(file: string): number {
  const [first, ...rest] = relative(GATEWAY, file).split('/');
  if (rest.length > 0) return LAYERS.indexOf(first as string);
  return TOP.has(first as string) ? Number.POSITIVE_INFINITY : -1;
}

describe('gateway layers', () => {
  it('knows every folder of gateway/', () => {
    const folders = readdirSync(GATEWAY, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.map((e) => e.name).filter((name) => !LAYERS.includes(name))).toEqual([]);
  });

  it('no module imports one from a layer above it', () => {
    const upward: string[] = [];
    for (const file of sources(GATEWAY)) {
      const own = layerOf(file);
      for (const [, typeOnly, path] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const target = resolve(dirname(file), path as string);
        if (!target.startsWith(`${GATEWAY}/`) || layerOf(target) <= own) continue;
        const edge = `${relative(GATEWAY, file)} -> ${relative(GATEWAY, target)}`;
        if (ALLOWED.includes(edge) || (typeOnly && relative(GATEWAY, target) === TYPE_ONLY_TOP)) continue;
        upward.push(edge);
      }
    }
    expect(upward).toEqual([]);
  });
});
