/**
 * The compiled agent, built as `scripts/build-images.ts` builds it (`bun build --compile --minify`,
 * glibc target) into a fresh directory under /var/tmp: containers get a private tmpfs on /tmp, so the
 * binary must live somewhere they can see.
 *
 *   compileAgent() -> Promise<{ path, sizeBytes, dispose() }>
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BUN = join(REPO, 'node_modules/.bin/bun');
const ENTRY = join(REPO, 'images/agent/main.ts');

export interface CompiledAgent {
  path: string;
  sizeBytes: number;
  dispose(): void;
}

/** Compiles images/agent/main.ts for bun-linux-x64. */
export async function compileAgent(): Promise<CompiledAgent> {
  const dir = mkdtempSync('/var/tmp/dg-agent-bin-');
  const path = join(dir, 'demiurge-agent');
  try {
    await promisify(execFile)(
      BUN,
      ['build', '--compile', '--minify', '--target=bun-linux-x64', ENTRY, '--outfile', path],
      { cwd: REPO, timeout: 120_000 },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`bun build --compile failed (is node_modules/.bin/bun installed?): ${String(error)}`);
  }
  return {
    path,
    sizeBytes: statSync(path).size,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
