/** The drain sequence's order (gateway/drain.ts) with stand-ins, and what a second signal does. */
import { describe, expect, it } from 'vitest';
import { type DrainDeps, drain, drainOnSignals } from '../../gateway/drain.ts';
import { silentLogger } from '../../gateway/log.ts';

function standIns(steps: string[], openWebSockets = 2) {
  let open = openWebSockets;
  let clock = 0;
  const flag = { draining: false };
  const deps: DrainDeps = {
    graceMs: 10_000,
    log: silentLogger,
    flag,
    websockets: {
      get size() {
        return open;
      },
      closeAll: (reason) => {
        steps.push(`close websockets (${reason}), readyz ${flag.draining ? 'failing' : 'ok'}`);
        const n = open;
        open = 0;
        return n;
      },
    },
    vpn: {
      clients: () => [1, 2, 3],
      stop: async () => void steps.push('stop openvpn'),
      stopNow: () => void steps.push('openvpn signalled'),
    },
    markDraining: async () => void steps.push('pool: draining'),
    closeListeners: async () => void steps.push('close listeners'),
    closeGateway: async () => void steps.push('close gateway'),
    exit: (code) => void steps.push(`exit ${code}`),
    sleep: async (ms) => {
      clock += ms;
      steps.push(`wait ${ms}`);
    },
    now: () => clock,
  };
  return { deps, flag };
}

describe('drain', () => {
  it('fails readiness, marks the pool, waits the grace, then closes WebSockets, OpenVPN, listeners, exits', async () => {
    const steps: string[] = [];
    const { deps, flag } = standIns(steps);
    await drain('SIGTERM', deps);
    expect(flag.draining).toBe(true);
    expect(steps).toEqual([
      'pool: draining',
      'wait 10000',
      'close websockets (gateway draining), readyz failing',
      'stop openvpn',
      'close listeners',
      'close gateway',
      'exit 0',
    ]);
  });

  it('with DRAIN_GRACE=0 goes straight to closing', async () => {
    const steps: string[] = [];
    const { deps } = standIns(steps, 0);
    await drain('SIGINT', { ...deps, graceMs: 0, markDraining: undefined, vpn: undefined });
    expect(steps).toEqual([
      'close websockets (gateway draining), readyz failing',
      'close listeners',
      'close gateway',
      'exit 0',
    ]);
  });

  it('a pool that cannot be told does not stop the drain', async () => {
    const steps: string[] = [];
    const { deps } = standIns(steps);
    await drain('SIGTERM', {
      ...deps,
      markDraining: () => Promise.reject(new Error('store down')),
    });
    expect(steps.at(-1)).toBe('exit 0');
  });
});

describe('drainOnSignals', () => {
  function wired() {
    const steps: string[] = [];
    const { deps } = standIns(steps);
    let clock = 0;
    let release: () => void = () => {};
    const handlers = new Map<string, () => void>();
    drainOnSignals(
      {
        ...deps,
        now: () => clock,
        // The grace never ends by itself here: the test decides.
        sleep: (ms) => (ms >= 1_000 ? new Promise<void>((r) => (release = r)) : Promise.resolve()),
      },
      ((signal: string, handler: () => void) => handlers.set(signal, handler)) as never,
    );
    const send = (signal: string, at: number) => {
      clock = at;
      handlers.get(signal)?.();
    };
    return { steps, send, release: () => release() };
  }

  it('a second signal exits at once, signalling OpenVPN', () => {
    const { steps, send } = wired();
    send('SIGTERM', 0);
    send('SIGINT', 200);
    expect(steps).toEqual(['pool: draining', 'openvpn signalled', 'exit 1']);
  });

  it('the same signal again within 1 s is one delivery seen twice (tsx relays to its child)', async () => {
    const { steps, send, release } = wired();
    send('SIGTERM', 0);
    send('SIGTERM', 300);
    expect(steps).not.toContain('exit 1');
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(steps.at(-1)).toBe('exit 0');
    send('SIGTERM', 5_000);
    expect(steps.at(-1)).toBe('exit 1');
  });
});
