import { describe, expect, it } from 'vitest';
import { allProxies, selectProxies } from '../../scripts/bench/lib/catalog.ts';
import { REPO_ROOT } from '../../scripts/bench/lib/gateway.ts';
import { parseOptions } from '../../scripts/bench/lib/options.ts';

const gatewayOptions = (baseline?: string) => ({ servicesPerContainer: 1000, env: {}, baseline });

describe('proxy bench options', () => {
  it('refuses a --baseline that is not a checkout of the gateway', () => {
    expect(() => parseOptions(['--baseline', '/nonexistent'])).toThrow(/--baseline: not a checkout/);
    expect(parseOptions(['--baseline', REPO_ROOT]).baseline).toBe(REPO_ROOT);
  });

  it('runs a baseline checkout on Node beside this one, selected with gateway-node', () => {
    const names = (routes: number[]) =>
      selectProxies(allProxies(routes, gatewayOptions(REPO_ROOT)), ['gateway-node']).map((p) => p.name);
    expect(names([0])).toEqual(['gateway-node', 'gateway-node@baseline']);
    expect(names([10, 100000])).toEqual([
      'gateway-node@10',
      'gateway-node@100000',
      'gateway-node@10-baseline',
      'gateway-node@100000-baseline',
    ]);
    const labels = allProxies([0], gatewayOptions(REPO_ROOT)).map((p) => p.label);
    expect(labels).toContain('gateway (Node) [baseline]');
  });

  it('runs this checkout once more on Node with --variant-env on top, selected with gateway-node', () => {
    const { variantEnv, gatewayEnv } = parseOptions([
      '--gateway-env',
      'LOG_LEVEL=warn',
      '--variant-env',
      'ACCESS_LOG=all',
    ]);
    expect(variantEnv).toEqual({ ACCESS_LOG: 'all' });
    const proxies = selectProxies(
      allProxies([0], { servicesPerContainer: 1000, env: gatewayEnv, variantEnv }),
      ['gateway-node'],
    );
    expect(proxies.map((p) => p.name)).toEqual(['gateway-node', 'gateway-node@variant']);
    expect(proxies.map((p) => p.label)).toContain('gateway (Node) [variant]');
    expect(allProxies([0], gatewayOptions()).map((p) => p.name)).not.toContain('gateway-node@variant');
  });

  it('adds no baseline unless asked', () => {
    const names = allProxies([0], gatewayOptions()).map((p) => p.name);
    expect(names.filter((n) => n.includes('baseline'))).toEqual([]);
  });
});
