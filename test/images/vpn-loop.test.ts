import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackoff, sleep } from '../../images/agent/backoff.ts';
import type { OpenvpnChild } from '../../images/agent/openvpn-process.ts';
import { runVpnLoop, type VpnLoopDeps } from '../../images/agent/vpn-loop.ts';

interface FakeChild extends OpenvpnChild {
  exit(code: number): void;
  stopped: boolean;
}
function fakeChild(): FakeChild {
  let resolveExit: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => {
    resolveExit = resolve;
  });
  const child: FakeChild = {
    pid: 4242,
    exited,
    stopped: false,
    exit: (code) => resolveExit(code),
    async stop() {
      child.stopped = true;
      resolveExit(null);
    },
  };
  return child;
}

function harness() {
  const events: string[] = [];
  const children: FakeChild[] = [];
  const disposed: string[] = [];
  let address: string | undefined;
  let fetchFailures = 0;
  const deps: VpnLoopDeps = {
    async fetchConfig() {
      if (fetchFailures > 0) {
        fetchFailures -= 1;
        events.push(`fetch-failed@${Date.now()}`);
        throw new Error('gateway down');
      }
      events.push(`fetch@${Date.now()}`);
      return 'client\nremote gw 1194\n';
    },
    writeFiles: (ovpn) => {
      const dir = `/tmp/fake-${children.length}`;
      expect(ovpn).toContain('remote');
      return { dir, configPath: `${dir}/client.ovpn`, dispose: () => disposed.push(dir) };
    },
    startOpenvpn: (path) => {
      events.push(`openvpn ${path}`);
      const child = fakeChild();
      children.push(child);
      return child;
    },
    probe: async () => address,
    backoff: createBackoff({ random: () => 0 }),
    sleep,
    onTunnelUp: (a) => events.push(`up ${a}`),
    onTunnelDown: () => events.push('down'),
    log: () => {},
    upTimeoutMs: 20_000,
    pollMs: 250,
  };
  return {
    deps,
    events,
    children,
    disposed,
    setAddress: (a: string | undefined) => {
      address = a;
    },
    failFetches: (n: number) => {
      fetchFailures = n;
    },
  };
}

describe('runVpnLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('backs off 1 s, 2 s between failed fetches, then starts OpenVPN', async () => {
    const h = harness();
    h.failFetches(2);
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(h.events).toEqual([
      'fetch-failed@0',
      'fetch-failed@1000',
      'fetch@3000',
      'openvpn /tmp/fake-0/client.ovpn',
    ]);
    controller.abort();
    await loop;
    expect(h.children[0]?.stopped).toBe(true);
    expect(h.disposed).toEqual(['/tmp/fake-0']);
  });

  it('reports the tunnel up once per connection, and again after every reconnect', async () => {
    const h = harness();
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    await vi.advanceTimersByTimeAsync(500);
    h.setAddress('172.16.7.20');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.events.filter((e) => e.startsWith('up'))).toEqual(['up 172.16.7.20']);
    // OpenVPN's own reconnect: the address goes away and comes back; the same child keeps running.
    h.setAddress(undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    h.setAddress('172.16.7.20');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.events.slice(2)).toEqual(['up 172.16.7.20', 'down', 'up 172.16.7.20']);
    expect(h.children).toHaveLength(1);
    controller.abort();
    await loop;
    expect(h.events.at(-1)).toBe('down');
  });

  it('restarts OpenVPN with back-off when it exits, starting from 1 s after a tunnel was up', async () => {
    const h = harness();
    h.failFetches(3);
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    await vi.advanceTimersByTimeAsync(7_000); // 1 s + 2 s + 4 s of back-off
    expect(h.children).toHaveLength(1);
    h.setAddress('172.16.7.20');
    await vi.advanceTimersByTimeAsync(1_000);
    h.setAddress(undefined);
    h.children[0]?.exit(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(h.children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.children).toHaveLength(2);
    expect(h.disposed).toEqual(['/tmp/fake-0']);
    controller.abort();
    await loop;
  });

  it('kills an OpenVPN whose tunnel does not come up in time, and never loops hot', async () => {
    const h = harness();
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    // Each attempt lasts the 20 s up-timeout plus a growing back-off: a handful in ten minutes, not thousands.
    expect(h.children.length).toBeGreaterThan(3);
    expect(h.children.length).toBeLessThan(15);
    expect(h.children.slice(0, -1).every((c) => c.stopped)).toBe(true);
    controller.abort();
    await loop;
    expect(h.children.every((c) => c.stopped)).toBe(true);
  });

  it('restarts OpenVPN when the gateway stops answering over a tunnel that still has its address', async () => {
    const h = harness();
    let alive = true;
    const checks: number[] = [];
    h.deps.gatewayAlive = async () => {
      checks.push(Date.now());
      return alive;
    };
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    h.setAddress('172.16.7.20');
    await vi.advanceTimersByTimeAsync(12_000);
    expect(checks).toEqual([5_000, 10_000]);
    // The gateway hangs while its OpenVPN lives: tun0 keeps its address, nothing answers.
    alive = false;
    await vi.advanceTimersByTimeAsync(14_000); // checks at 15, 20 and 25 s fail: three are not enough
    expect(h.children[0]?.stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000); // the fourth, at 30 s
    expect(h.children[0]?.stopped).toBe(true);
    expect(h.events).toContain('down');
    await vi.advanceTimersByTimeAsync(1_000); // back-off restarts from 1 s: the tunnel had been up
    expect(h.children).toHaveLength(2);
    controller.abort();
    await loop;
  });

  it('keeps a tunnel whose gateway misses fewer checks in a row than the limit', async () => {
    const h = harness();
    const answers = [false, false, false, true, false, false, false, true, false, true];
    h.deps.gatewayAlive = async () => answers.shift() ?? true;
    const controller = new AbortController();
    const loop = runVpnLoop(h.deps, controller.signal);
    h.setAddress('172.16.7.20');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(answers).toEqual([]);
    expect(h.children).toHaveLength(1);
    expect(h.children[0]?.stopped).toBe(false);
    controller.abort();
    await loop;
  });
});
