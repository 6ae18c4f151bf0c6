import {
  GATEWAY_RUNTIMES,
  type GatewayBenchOptions,
  gatewayFixture,
  gatewayUnderTest,
  REPO_ROOT,
} from './gateway.ts';
import { chp, direct, fastifyProxy, nginxProxy } from './peers.ts';
import type { ProxyUnderTest } from './proxy-under-test.ts';

/**
 * Every proxy the bench knows, in table order: peers first, then the gateway on each runtime, once per
 * route-table size.
 */
export function allProxies(routeCounts: readonly number[], gateway: GatewayBenchOptions): ProxyUnderTest[] {
  const fixture = gatewayFixture();
  const gateways = GATEWAY_RUNTIMES.flatMap((runtime) =>
    routeCounts.map((routes) => gatewayUnderTest(runtime, gateway, fixture, routes, routeCounts.length > 1)),
  );
  // A baseline checkout runs on Node only, next to this one (`--only gateway-node` selects both).
  const node = GATEWAY_RUNTIMES.find((runtime) => runtime.name === 'gateway-node');
  const baselines =
    gateway.baseline && node
      ? routeCounts.map((routes) =>
          gatewayUnderTest(node, gateway, fixture, routes, routeCounts.length > 1, {
            dir: gateway.baseline as string,
            name: 'baseline',
          }),
        )
      : [];
  // A variant runs this checkout on Node with more environment (`--variant-env`): a setting's cost.
  const variantEnv = gateway.variantEnv ?? {};
  const variants =
    Object.keys(variantEnv).length > 0 && node
      ? routeCounts.map((routes) =>
          gatewayUnderTest(
            node,
            { ...gateway, env: { ...gateway.env, ...variantEnv } },
            fixture,
            routes,
            routeCounts.length > 1,
            { dir: REPO_ROOT, name: 'variant' },
          ),
        )
      : [];
  return [direct, nginxProxy, chp, fastifyProxy, ...gateways, ...baselines, ...variants];
}

/** `--only gateway-node` also selects `gateway-node@10` and `gateway-node@100000`. */
const selected = (proxy: ProxyUnderTest, only: readonly string[]) =>
  only.some((name) => proxy.name === name || proxy.name.startsWith(`${name}@`));

/** The proxies selected by `--only` (unknown names are an error), else all of them. */
export function selectProxies(all: readonly ProxyUnderTest[], only: string[] | undefined): ProxyUnderTest[] {
  if (!only) return [...all];
  const unknown = only.filter((name) => !all.some((p) => selected(p, [name])));
  if (unknown.length > 0)
    throw new Error(`unknown proxy ${unknown.join(', ')}; known: ${all.map((p) => p.name).join(', ')}`);
  return all.filter((p) => selected(p, only));
}
