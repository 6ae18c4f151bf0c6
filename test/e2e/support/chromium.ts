/**
 * Playwright-driven Chromium running INSIDE a network namespace.
 *
 * `chromium.launch()` would start the browser in this process's (root) namespace, and a CDP port opened
 * inside a namespace is not reachable from the root one. So the executable handed to Playwright is a
 * two-line wrapper, `exec ip netns exec <ns> /usr/bin/chromium "$@"`: Playwright keeps its default
 * `--remote-debugging-pipe` (file descriptors 3 and 4 survive both execs), and the browser's network is
 * the namespace's.
 *
 *   launchChromiumIn(ns, { hostResolverRules?, extraArgs? }) -> Promise<{ browser, close() }>
 *     hostResolverRules e.g. 'MAP *.org-demo.test 10.250.0.1'   (no DNS inside namespaces)
 *   Pages: `const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage()`.
 *   navigate(page, url) -> Promise<Response | null>   page.goto, retried (3x) on net::ERR_NETWORK_CHANGED, which
 *     Chromium reports when an interface appears in its namespace (OpenVPN creating tun0 in gw)
 * Reuse one browser per suite (launch ~1 s). Never `npx playwright install`: /usr/bin/chromium is used.
 */

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page, type Response } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../support/chromium.ts';
import { requireCommand } from '../../support/prerequisites.ts';

const CHROMIUM = '/usr/bin/chromium';
const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$/;

export interface NamespacedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches headless Chromium in network namespace `ns`, driven over Playwright's pipe. */
export async function launchChromiumIn(
  ns: string,
  options: { hostResolverRules?: string; extraArgs?: string[] } = {},
): Promise<NamespacedBrowser> {
  requireCommand(CHROMIUM, 'chromium');
  if (!NAMESPACE_NAME.test(ns)) throw new Error(`not a namespace name: ${ns}`);
  const dir = mkdtempSync(join(tmpdir(), 'dg-chromium-'));
  const wrapper = join(dir, 'chromium-in-namespace');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const args = [
    ...CHROMIUM_FLAGS.filter((flag) => flag !== '--no-sandbox'),
    '--ignore-certificate-errors',
    ...(options.hostResolverRules ? [`--host-resolver-rules=${options.hostResolverRules}`] : []),
    ...(options.extraArgs ?? []),
  ];
  try {
    const browser = await chromium.launch({ executablePath: wrapper, headless: true, args, timeout: 30_000 });
    return {
      browser,
      async close() {
        await browser.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `page.goto`, retried when Chromium saw its namespace's interfaces change during the navigation. */
export async function navigate(page: Page, url: string): Promise<Response | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await page.goto(url);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('ERR_NETWORK_CHANGED')) throw error;
    }
  }
}
