import { setTimeout as sleep } from 'node:timers/promises';
import type { ProxyUnderTest } from './proxy-under-test.ts';
import { burst, churn, idle, typing } from './ws-loads.ts';
import type { CheckResult, OpenResult, WsTarget } from './ws-protocol.ts';
import type { WsRig, WsSample } from './ws-rig.ts';

export type { WsRig, WsSample } from './ws-rig.ts';

/** Starts the proxy fresh and runs the four loads in turn (idle first, on the fresh process), then stops it. */
export async function measureWebSockets(
  proxy: ProxyUnderTest,
  rig: WsRig,
  repetition: number,
): Promise<WsSample> {
  const running = await proxy.start(rig.context);
  const sample: WsSample = { proxy: proxy.name, repetition, figures: {}, notes: [] };
  const target: WsTarget = { port: running.port, host: running.hostHeader };
  const dropAll = () => Promise.all(rig.holders.map((w) => w.call({ kind: 'drop' })));
  try {
    // Preflight: one socket must echo through the proxy, or the loads would measure error pages.
    const [first] = rig.holders;
    const opened = await first?.call<OpenResult>({ kind: 'open', target, count: 1, concurrency: 1 });
    const checked = await first?.call<CheckResult>({ kind: 'check', concurrency: 1 });
    if (opened?.opened !== 1 || checked?.echoed !== 1)
      throw new Error(`preflight: no echo through the proxy (${opened?.firstError ?? 'echo timed out'})`);
    await dropAll();
    await sleep(500);
    await idle(rig, running, target, sample.figures, sample.notes);
    await typing(rig, running.pid, sample.figures);
    // A burst that breaks off is a finding, not a lost repetition: the other loads still count.
    await burst(rig, running.pid, target, sample.figures).catch((error: Error) => {
      sample.figures.burstFailed = 1;
      sample.notes.push(`burst FAILED: ${error.message}`);
    });
    await dropAll();
    await sleep(1_000);
    await churn(rig, running, target, sample.figures, sample.notes);
    return sample;
  } finally {
    await dropAll().catch(() => {});
    await running.stop();
  }
}
