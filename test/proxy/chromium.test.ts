/** A real Chromium loads a page through the proxy (loopback only) and uses its WebSocket. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoContainer, registerLegacy, startDemoContainer } from '../../scripts/demo/demo-container.ts';
import { launchLoopbackChromium } from '../support/chromium.ts';
import { ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';

describe('Chromium through the proxy', () => {
  let gw: GatewayProcess;
  let container: DemoContainer;
  let browser: Browser;
  let registration: ReturnType<typeof registerLegacy>;
  beforeAll(async () => {
    gw = await startGateway('node');
    container = await startDemoContainer();
    registration = registerLegacy(
      gw.base,
      await gw.token('demo', PROJECT, ORG),
      PROJECT,
      'web',
      container.port,
    );
    await registration.first;
    browser = await launchLoopbackChromium();
  });
  afterAll(async () => {
    registration?.stop();
    await browser?.close();
    await container?.close();
    await gw?.stop();
  });

  it('shows the container page and echoes over its WebSocket', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://uc-demo.org-${ORG}.localhost:${gw.port}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    await expect.poll(() => page.textContent('#ws'), { timeout: 10_000 }).toMatch(/^echoed: ping \d+$/);
  });

  it('shows a readable 404 page for an unknown container', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://uc-nobody.org-${ORG}.localhost:${gw.port}/`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Nothing here');
  });
});
