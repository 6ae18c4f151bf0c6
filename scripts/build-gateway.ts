/**
 * Bundles the gateway for Node into one ES module (esbuild), so production starts without compiling
 * TypeScript. npm packages stay external: `node_modules/` sits beside it, as in the image.
 *
 *   npm run build                                  # dist/gateway/main.mjs
 *   npx tsx scripts/build-gateway.ts --outfile <dir>/<dir>/main.mjs
 *
 * The bundle reads `../../redis/*.lua` and `../../package.json` relative to itself (the source layout's
 * `gateway/<folder>/x.ts`), so it must sit two folders below the directory holding `redis/` and
 * `package.json`: the repository root here, `/app` in the image.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
export const GATEWAY_BUNDLE = resolve(ROOT, 'dist/gateway/main.mjs');

/** Writes the bundle to `outfile`; returns its size in bytes. */
export async function buildGatewayBundle(outfile = GATEWAY_BUNDLE): Promise<number> {
  const result = await build({
    entryPoints: [resolve(ROOT, 'gateway/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
}

if (import.meta.filename === process.argv[1]) {
  const at = process.argv.indexOf('--outfile');
  const outfile = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1] as string) : GATEWAY_BUNDLE;
  const bytes = await buildGatewayBundle(outfile);
  process.stdout.write(`${outfile} (${Math.round(bytes / 1024)} KB)\n`);
}
