/** A gateway process, the demo container registered like a legacy image, and a loopback Chromium. */
import type { Browser } from 'playwright-core';
import type { Runtime } from '../../gateway/server/runtime.ts';
import { type DemoContainer, registerLegacy, startDemoContainer } from '../../scripts/demo/demo-container.ts';
import { launchLoopbackChromium } from './chromium.ts';
import { type GatewayProcess, startGateway } from './gateway-process.ts';

export interface DemoFixture {
  gw: GatewayProcess;
  container: DemoContainer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startDemoFixture(
  org: string,
  project: string,
  gatewayEnv: Record<string, string> = {},
  runtime: Runtime = 'node',
): Promise<DemoFixture> {
  const gw = await startGateway(runtime, gatewayEnv);
  const container = await startDemoContainer();
  const registration = registerLegacy(
    gw.base,
    await gw.token('demo', project, org),
    project,
    'web',
    container.port,
  );
  await registration.first;
  const browser = await launchLoopbackChromium();
  return {
    gw,
    container,
    browser,
    async close() {
      registration.stop();
      await browser.close();
      await container.close();
      await gw.stop();
    },
  };
}
