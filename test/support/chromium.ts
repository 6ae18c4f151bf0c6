/** Debian's Chromium through playwright-core in this (root) namespace, for pages served on loopback. */
import { type Browser, chromium } from 'playwright-core';
import { requireCommand } from './prerequisites.ts';

/** Flags that keep Chromium quiet and local (no background networking, no downloads). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Every hostname resolves to 127.0.0.1: the browser never leaves this machine. */
export function launchLoopbackChromium(): Promise<Browser> {
  requireCommand('chromium', 'chromium');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP * 127.0.0.1'],
  });
}
