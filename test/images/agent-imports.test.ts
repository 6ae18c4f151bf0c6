/** The agent depends on `shared/` and its own folder only (plus node builtins and zod). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const AGENT = join(import.meta.dirname, '../../images/agent');
const ALLOWED = [/^\.\/[a-z-]+\.ts$/, /^\.\.\/\.\.\/shared\/[a-z-]+\.ts$/, /^node:[a-z_/]+$/, /^zod$/];

describe('images/agent imports', () => {
  const files = readdirSync(AGENT).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s imports only shared/, its own folder, node: and zod', (file) => {
    const text = readFileSync(join(AGENT, file), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\s[^'"]*from\s+'([^']+)'/gm)].map(
      (m) => m[1] ?? '',
    );
    for (const specifier of specifiers)
      expect(
        ALLOWED.some((re) => re.test(specifier)),
        specifier,
      ).toBe(true);
  });
});
