/**
 * The dashboard in Chromium over a real store: a container registered after the page opened shows up
 * (the live feed reloads the list), a revoke through the confirmation page takes effect (the store marks
 * it revoked, its routes are gone), search, filter and paging are done by the server, and text that
 * containers send (GPU names) is shown escaped.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { host, LIVENESS, reg, stats, svc, T0 } from '../store/fixtures.ts';
import { launchLoopbackChromium } from '../support/chromium.ts';
import { type DashboardHarness, serveDashboard } from './harness.ts';

let browser: Browser;
let store: MemoryStore;
let h: DashboardHarness;
let page: Page;

beforeAll(async () => {
  browser = await launchLoopbackChromium();
  store = new MemoryStore();
  h = await serveDashboard(store);
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const rows = () => page.locator('table.containers tbody tr');

describe('the dashboard in Chromium', () => {
  it('shows a container registered after the page opened, then revokes it after a confirmation', async () => {
    await page.goto(`${h.base}/dashboard`);
    await expect.poll(() => page.locator('#feed-state').textContent()).toBe('live');
    expect(await rows().count()).toBe(0);

    await store.mapService(reg('late-one'), svc('late-one', 'web', 8888, { access: 'public' }), Date.now());
    await expect
      .poll(() => page.locator('tr[data-container="late-one"]').count(), { timeout: 5_000 })
      .toBe(1);
    const row = page.locator('tr[data-container="late-one"]');
    expect(await row.textContent()).toContain(host('late-one', 'web'));
    expect(await row.locator('.access').textContent()).toBe('public');
    expect(await page.locator('#feed li').first().textContent()).toContain('routes');

    await row.getByRole('link', { name: 'Revoke…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Revoke late-one?');
    expect(await store.isRevoked('late-one')).toBe(false);
    await page.getByRole('button', { name: 'Revoke late-one' }).click();
    expect(await page.locator('h1').textContent()).toBe('Revoked late-one');
    expect(await store.isRevoked('late-one')).toBe(true);
    expect(await store.resolve(host('late-one', 'web'))).toBeNull();
    expect(h.revoked).toEqual(['late-one']);
  });

  it('searches, filters by organisation and state, and pages on the server', async () => {
    for (let i = 0; i < 60; i++)
      await store.mapService(
        reg(`bulk-${String(i).padStart(2, '0')}`),
        svc(`bulk-${String(i).padStart(2, '0')}`, 'web', 8000),
        T0 + i,
      );
    await store.mapService(
      { ...reg('other-org'), orgId: 'org2', alias: 'uc-other-org.org-org2.example.test' },
      { name: 'web', port: 8000, hostname: 'uc-other-org--web.org-org2.example.test' },
      T0 + 100,
    );
    await store.recordWatchdog(reg('bulk-07'), { ...stats(), gpus: ['<b>A100</b>'] }, Date.now(), LIVENESS);

    await page.goto(`${h.base}/dashboard`);
    expect(await page.locator('p.count').textContent()).toBe('61 of 61 containers · page 1 of 2');
    expect(await rows().count()).toBe(50);
    await page.getByRole('link', { name: 'next →' }).click();
    expect(await rows().count()).toBe(11);

    await page.getByLabel('search').fill('BULK-0');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.locator('p.count').textContent()).toBe('10 of 61 containers · page 1 of 1');

    await page.goto(`${h.base}/dashboard`);
    await page.getByLabel('organisation').fill('org2');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await rows().count()).toBe(1);
    expect(await rows().first().getAttribute('data-container')).toBe('other-org');

    await page.goto(`${h.base}/dashboard`);
    await page.getByLabel('state').selectOption('online');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await rows().count()).toBe(1);
    const online = rows().first();
    expect(await online.getAttribute('data-container')).toBe('bulk-07');
    expect(await online.locator('.state').textContent()).toBe('online');
    // A container's text is shown as text: no element comes out of it.
    expect(await online.textContent()).toContain('gpu <b>A100</b>');
    expect(await online.locator('b', { hasText: 'A100' }).count()).toBe(0);
  });

  it('answers a bad query with 400, not a page of everything', async () => {
    const res = await page.goto(`${h.base}/dashboard?state=sideways`);
    expect(res?.status()).toBe(400);
  });
});
