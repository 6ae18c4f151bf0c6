import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { answerFailure } from '../../images/agent/event-failure.ts';
import { createServiceRegistrar, type ServiceSpec } from '../../images/agent/services.ts';
import { startWatchdog } from '../../images/agent/watchdog.ts';
import { type EventBody, EventBody as EventBodySchema } from '../../shared/protocol.ts';
import type { SystemStats } from '../../shared/system-stats.ts';

const SERVICES: ServiceSpec[] = [
  { name: 'terminal', port: 7681, primary: true, access: 'project' },
  { name: 'files', port: 8080, primary: false, access: 'owner' },
];
const STATS: SystemStats = {
  cpu: { load: [0.1, 0.2, 0.3], count: 4, threadsPerCore: 2, model: 'cpu' },
  memory: { availableMb: 100, totalMb: 200 },
  disk: { sizeBytes: 1e9, usedPercent: 12.5 },
  network: { pingMs: null },
  gpus: [],
};

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createServiceRegistrar', () => {
  it('registers every service at once, then every 15 s, until paused', async () => {
    const posted: EventBody[] = [];
    const registrar = createServiceRegistrar({
      services: SERVICES,
      projectId: 'proj-1',
      post: async (body) => {
        posted.push(EventBodySchema.parse(body));
      },
      log: () => {},
    });
    await registrar.registerNow();
    expect(posted.map((b) => b.event.type === 'user-container:map-http-service' && b.event.name)).toEqual([
      'terminal',
      'files',
    ]);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(posted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(posted).toHaveLength(4);
    registrar.pause();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(posted).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-registers at once on the next tunnel up, and one failing service does not stop the others', async () => {
    const posted: string[] = [];
    const warnings: string[] = [];
    const registrar = createServiceRegistrar({
      services: SERVICES,
      projectId: 'proj-1',
      post: async (body) => {
        if (body.event.type !== 'user-container:map-http-service') return;
        if (body.event.name === 'terminal') throw new Error('connection refused');
        posted.push(body.event.name);
      },
      log: (_level, message) => warnings.push(message),
    });
    await registrar.registerNow();
    await registrar.registerNow();
    expect(posted).toEqual(['files', 'files']);
    expect(warnings).toEqual(['service registration failed', 'service registration failed']);
    expect(vi.getTimerCount()).toBe(1);
    registrar.pause();
  });
});

describe('startWatchdog', () => {
  it('beats at once and every 15 s with the measured round trip in the stats', async () => {
    const posted: EventBody[] = [];
    let pings = 0;
    const watchdog = startWatchdog({
      projectId: 'proj-1',
      readStats: async (pingMs) => ({ ...STATS, network: { pingMs } }),
      measureRoundTrip: async () => {
        pings += 1;
        return 0.5 * pings;
      },
      post: async (body) => {
        posted.push(EventBodySchema.parse(body));
      },
      log: () => {},
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toEqual({
      event: { type: 'user-container:watchdog', stats: { ...STATS, network: { pingMs: 0.5 } } },
      project_id: 'proj-1',
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(posted).toHaveLength(3);
    watchdog.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(posted).toHaveLength(3);
  });

  it('logs a refused beat and keeps beating every 15 s (a refusal is not retried sooner)', async () => {
    const warnings: string[] = [];
    let attempts = 0;
    const watchdog = startWatchdog({
      projectId: 'proj-1',
      readStats: async () => STATS,
      measureRoundTrip: async () => null,
      post: async () => {
        attempts += 1;
        throw answerFailure(401);
      },
      log: (_level, message, fields) => warnings.push(`${message}: ${String(fields?.error)}`),
    });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(attempts).toBe(2);
    expect(warnings).toEqual(['watchdog failed: event answered 401', 'watchdog failed: event answered 401']);
    watchdog.stop();
  });
});
