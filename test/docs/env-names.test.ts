/**
 * The deployment guide stays true to the gateway: every setting it names (in backticks in its pages, as
 * an ALL_CAPS_NAME in its configuration files) is one gateway/config.ts's schema knows, and every
 * ${DEMIURGE_*} placeholder is one the Stage 1 test fills.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../gateway/config.ts';
import { stage1Env } from './stage1-servers.ts';

const DOCS = new URL('../../docs/', import.meta.url).pathname;
const GUIDE_PAGES = ['README.md', 'deploy.md', 'stage1.md', 'certificates.md', 'redis.md', 'operations.md'];
/** Names in the guide that are not gateway settings, and why. */
const NOT_SETTINGS = new Set([
  'NET_ADMIN', // a Linux capability
  'SIGTERM',
  'SIGINT',
  'CNAME', // a DNS record type
  'BGSAVE', // a Redis command
  'NGINX_ENVSUBST_FILTER', // the official nginx image's template setting
]);

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
  );

/** Backticked names in Markdown (`PORT`, `DRAIN_GRACE=15s`); NAME_WITH_UNDERSCORES anywhere else. */
function mentioned(text: string, markdown: boolean): string[] {
  const pattern = markdown ? /`([A-Z][A-Z0-9_]*)(?:=[^`]*)?`/g : /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g;
  return [...new Set([...text.matchAll(pattern)].map((m) => m[1] as string))];
}

const guide = [
  ...GUIDE_PAGES.map((p) => join(DOCS, p)),
  ...files(join(DOCS, 'stage1')),
  ...files(join(DOCS, 'deploy')),
].map((path) => ({ path, names: mentioned(readFileSync(path, 'utf8'), path.endsWith('.md')) }));

describe('settings named in docs/', () => {
  it('finds names the way the guide writes them (and would catch a made-up one)', () => {
    expect(mentioned('set `NOT_A_SETTING` and `PORT=443`, not PORT', true)).toEqual([
      'NOT_A_SETTING',
      'PORT',
    ]);
    expect(mentioned('# TRUSTED_PROXIES lists it; PORT too', false)).toEqual(['TRUSTED_PROXIES']);
    expect(CONFIG_VARIABLES).not.toContain('NOT_A_SETTING');
  });

  it.each(guide.map((g) => [g.path.slice(DOCS.length), g.names] as const))('%s', (_path, names) => {
    const placeholders = Object.keys(
      stage1Env('nginx', {
        domain: 'x',
        httpsPort: 1,
        httpPort: 2,
        gateway: 'g',
        splitDir: 'd',
        bundleDir: 'b',
        adminPort: 3,
      }),
    );
    for (const name of names) {
      if (NOT_SETTINGS.has(name)) continue;
      if (name.startsWith('DEMIURGE_')) expect(placeholders, name).toContain(name);
      else expect(CONFIG_VARIABLES, name).toContain(name);
    }
  });
});
