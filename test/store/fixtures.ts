/** What the store contract's cases register and how they watch the change feed. */
import type { Store, StoreChange } from '../../gateway/store/store.ts';
import { serviceHostname } from '../../shared/hostnames.ts';
import type { SystemStats } from '../../shared/protocol.ts';

export const DOMAIN = 'example.test';
export const ORG = 'org1';
export const PROJECT = 'proj1';
export const LIVENESS = 45_000;
export const T0 = 1_700_000_000_000;

export const stats = (load = 0.1): SystemStats => ({
  cpu: { load: [load, 0.2, 0.3], count: 4, threadsPerCore: 2, model: 'X' },
  memory: { availableMb: 100, totalMb: 200 },
  disk: { sizeBytes: 1000, usedPercent: 13 },
  network: { pingMs: 0.05 },
  gpus: [],
});

export const reg = (containerId: string, upstream = '127.0.0.1') => ({
  containerId,
  orgId: ORG,
  projectId: PROJECT,
  upstream,
  gateway: 'gw-test',
  alias: serviceHostname({ containerId, orgId: ORG, domain: DOMAIN }),
});

export const svc = (
  containerId: string,
  name: string,
  port: number,
  extra: { access?: 'public' | 'org' | 'project' | 'owner'; primary?: boolean } = {},
) => ({
  name,
  port,
  hostname: serviceHostname({ containerId, orgId: ORG, domain: DOMAIN, service: name }),
  ...extra,
});

export const host = (containerId: string, service?: string) =>
  serviceHostname({ containerId, orgId: ORG, domain: DOMAIN, service });

/** Collects changes until `count` arrived (or fails after a while). */
export function collector(store: Store) {
  const changes: StoreChange[] = [];
  const ready = store.subscribe((c) => changes.push(c));
  return {
    changes,
    ready,
    async waitFor(count: number) {
      for (let i = 0; i < 200 && changes.length < count; i++) await new Promise((r) => setTimeout(r, 10));
      return changes;
    },
  };
}
