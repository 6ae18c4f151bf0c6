/**
 * First contact on the gateway's own host: a browser at `/` gets a page (what this is, health, docs), a
 * browser at an unknown path a 404 page; scripts keep their JSON. In-process; the smoke suite
 * (test/smoke/runtimes.test.ts) asks the same of a gateway process on Node, Deno and Bun.
 */
import { describe, expect, it } from 'vitest';
import { createControlApp } from '../../gateway/control/app.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { controlHarness } from '../support/control.ts';

const NAVIGATE = { 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const connection = { remoteAddress: '127.0.0.1', listener: 'public' as const };

/** One harness (its RSA key takes a while), one app per store state. */
const harness = controlHarness(new MemoryStore());
async function app(storeState: 'ok' | 'degraded' | 'down' = 'ok') {
  return createControlApp({
    ...(await harness).deps,
    readiness: [
      {
        name: 'store',
        check: async () => {
          if (storeState === 'down') throw new Error('store down');
          return storeState === 'degraded' ? 'degraded' : undefined;
        },
      },
    ],
  });
}
const get = async (path: string, headers: Record<string, string>, state?: 'ok' | 'degraded' | 'down') =>
  (await app(state)).request(path, { headers }, connection);

describe('first contact', () => {
  it('answers a browser at / with a page: what this is, the store state, where the docs are', async () => {
    const res = await get('/', NAVIGATE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('<h1>Demiurge Gateway</h1>');
    expect(page).toContain('uc-&lt;container&gt;.org-&lt;organisation&gt;.localhost');
    expect(page).toMatch(/<span id="dg-ready" class="ok">ready<\/span>/);
    expect(page).toContain('data-check="store">ok<');
    expect(page).toMatch(/README\.md[\s\S]*docs\//);
  });

  it('shows a store that is down or degraded, and is a browser page by Accept alone too', async () => {
    const down = await (await get('/', { accept: 'text/html' }, 'down')).text();
    expect(down).toMatch(/id="dg-ready" class="bad">not ready</);
    expect(down).toContain('data-check="store">unavailable<');
    const degraded = await (await get('/', NAVIGATE, 'degraded')).text();
    expect(degraded).toContain('data-check="store">degraded<');
  });

  it('keeps the JSON 404 at / for scripts (curl, fetch, JSON clients)', async () => {
    for (const headers of [
      {},
      { accept: '*/*' },
      { accept: 'application/json' },
      { 'sec-fetch-mode': 'cors', accept: 'text/html' },
    ] as Record<string, string>[]) {
      const res = await get('/', headers);
      expect(res.status, JSON.stringify(headers)).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'GW_ERR_NOT_FOUND', message: 'no endpoint GET /' } });
    }
  });

  it('answers an unknown path with a 404 page for a browser and JSON for scripts, escaping the path', async () => {
    const page = await get('/nope/<script>', NAVIGATE);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain('<title>Nothing here</title>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="/"');
    const json = await get('/nope', { accept: 'application/json' });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: { code: 'GW_ERR_NOT_FOUND' } });
  });

  it('leaves the endpoints alone: /healthz stays JSON for a browser', async () => {
    const res = await get('/healthz', NAVIGATE);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
