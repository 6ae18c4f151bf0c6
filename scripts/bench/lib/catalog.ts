import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  GATEWAY_RUNTIMES,
  type GatewayBenchOptions,
  gatewayFixture,
  gatewayUnderTest,
  REPO_ROOT,
} from './gateway.ts';
import { chp, direct, fastifyProxy, nginxProxy } from './peers.ts';
import type { ProxyUnderTest } from './proxy-under-test.ts';

/** Every proxy the bench knows, in table order: peers first, then the gateway on each runtime. */
export function allProxies(gateway: GatewayBenchOptions): ProxyUnderTest[] {
  const fixture = gatewayFixture();
  return [
    direct,
    nginxProxy,
    chp,
    fastifyProxy,
    ...GATEWAY_RUNTIMES.map((r) => gatewayUnderTest(r, gateway, fixture)),
  ];
}

/** Whether gateway/main.ts exists yet (the default selection leaves the gateway out until it does). */
export function gatewayPresent(): boolean {
  return existsSync(join(REPO_ROOT, 'gateway', 'main.ts'));
}

/** The proxies selected by `--only` (unknown names are an error), else all that can run. */
export function selectProxies(all: readonly ProxyUnderTest[], only: string[] | undefined): ProxyUnderTest[] {
  if (!only) return all.filter((p) => gatewayPresent() || !p.name.startsWith('gateway-'));
  const unknown = only.filter((name) => !all.some((p) => p.name === name));
  if (unknown.length > 0)
    throw new Error(`unknown proxy ${unknown.join(', ')}; known: ${all.map((p) => p.name).join(', ')}`);
  return all.filter((p) => only.includes(p.name));
}
