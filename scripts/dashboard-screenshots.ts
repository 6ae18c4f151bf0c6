/**
 * Takes the README's dashboard screenshots (docs/images/dashboard*.png) with Debian's Chromium: a few
 * containers with services, watchdog stats and one offline, a change arriving on the live feed, the
 * revoke confirmation and the sign-in form. Run: npx tsx scripts/dashboard-screenshots.ts
 */
import { MemoryStore } from '../gateway/store/memory.ts';
import { serviceHostname } from '../shared/hostnames.ts';
import type { SystemStats } from '../shared/protocol.ts';
import { serveDashboard } from '../test/dashboard/harness.ts';
import { launchLoopbackChromium } from '../test/support/chromium.ts';

const OUT = new URL('../docs/images/', import.meta.url).pathname;
const LIVENESS = 45_000;
const DOMAIN = 'example.com';
const stats = (load: number, gpus: string[] = []): SystemStats => ({
  cpu: { load: [load, load * 0.8, load * 0.6], count: 8, threadsPerCore: 2, model: 'EPYC' },
  memory: { availableMb: 9_800 - load * 1000, totalMb: 16_384 },
  disk: { sizeBytes: 250 * 2 ** 30, usedPercent: Math.round(20 + load * 10) },
  network: { pingMs: 0.4 },
  gpus,
});
const CONTAINERS: [
  string,
  string,
  string,
  [string, number, 'public' | 'org' | 'project' | 'owner'][],
  SystemStats | null,
  number,
][] = [
  ['alice-terminal', 'acme', 'p-analytics', [['ttyd', 7681, 'owner']], stats(0.4), 0],
  [
    'bob-notebook',
    'acme',
    'p-analytics',
    [
      ['jupyter', 8888, 'project'],
      ['tensorboard', 6006, 'project'],
    ],
    stats(2.1, ['NVIDIA A100 80GB']),
    0,
  ],
  ['pgadmin-shared', 'acme', 'p-billing', [['pgadmin', 5050, 'org']], stats(0.1), 0],
  ['n8n-flows', 'globex', 'p-ops', [['n8n', 5678, 'project']], stats(0.7), 0],
  ['demo-site', 'globex', 'p-web', [['web', 8080, 'public']], null, 0],
  ['old-experiment', 'globex', 'p-ml', [['jupyter', 8888, 'project']], stats(0.2), 2 * 3600_000],
];

const store = new MemoryStore();
const now = Date.now();
for (const [i, [id, org, project, services, s, silentFor]] of CONTAINERS.entries()) {
  const registration = {
    containerId: id,
    orgId: org,
    projectId: project,
    upstream: `172.16.0.${10 + i}`,
    gateway: 'gw-eu-1',
    alias: serviceHostname({ containerId: id, orgId: org, domain: DOMAIN }),
  };
  for (const [name, port, access] of services)
    await store.mapService(
      registration,
      {
        name,
        port,
        access,
        hostname: serviceHostname({ containerId: id, orgId: org, domain: DOMAIN, service: name }),
      },
      now - (i + 1) * 600_000,
    );
  if (s) await store.recordWatchdog(registration, s, now - silentFor - 4_000, LIVENESS);
}

const h = await serveDashboard(store);
const browser = await launchLoopbackChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  await page.goto(`${h.base}/dashboard`);
  await page.locator('#feed-state', { hasText: 'live' }).waitFor();
  const late = {
    containerId: 'carol-vscode',
    orgId: 'acme',
    projectId: 'p-analytics',
    upstream: '172.16.0.40',
    gateway: 'gw-eu-1',
    alias: serviceHostname({ containerId: 'carol-vscode', orgId: 'acme', domain: DOMAIN }),
  };
  await store.mapService(
    late,
    {
      name: 'code',
      port: 8443,
      access: 'owner',
      hostname: serviceHostname({
        containerId: 'carol-vscode',
        orgId: 'acme',
        domain: DOMAIN,
        service: 'code',
      }),
    },
    Date.now(),
  );
  await store.recordWatchdog(late, stats(0.3), Date.now(), LIVENESS);
  await page.locator('tr[data-container="carol-vscode"]').waitFor();
  await page.screenshot({ path: `${OUT}dashboard.png` });
  await page.goto(`${h.base}/dashboard?org=acme&state=online`);
  await page.screenshot({ path: `${OUT}dashboard-filter.png` });
  await page.goto(`${h.base}/dashboard/containers/old-experiment/revoke`);
  await page.screenshot({ path: `${OUT}dashboard-revoke.png` });
  process.stdout.write(`screenshots in ${OUT}\n`);
} finally {
  await browser.close();
  await h.close();
}
