/** The watchdog beat: typed stats every 15 s, so the gateway knows the container is alive. */
import type { EventBody } from '../../shared/protocol.ts';
import type { SystemStats } from '../../shared/system-stats.ts';
import type { Log } from './log.ts';
import { errorMessage } from './log.ts';

export const WATCHDOG_INTERVAL_MS = 15_000;

/** The watchdog event for one set of stats. */
export function watchdogEvent(stats: SystemStats, projectId: string): EventBody {
  return { event: { type: 'user-container:watchdog', stats }, project_id: projectId };
}

export interface WatchdogDeps {
  projectId: string;
  /** Reads fresh stats; `pingMs` is measured by the caller just before. */
  readStats(pingMs: number | null): Promise<SystemStats>;
  measureRoundTrip(): Promise<number | null>;
  post(body: EventBody): Promise<void>;
  log: Log;
}

/** Sends one watchdog; throws when the gateway did not accept it. */
export async function sendWatchdog(deps: WatchdogDeps): Promise<void> {
  const pingMs = await deps.measureRoundTrip();
  await deps.post(watchdogEvent(await deps.readStats(pingMs), deps.projectId));
}

export interface WatchdogTimer {
  stop(): void;
}

/** Beats now and every `intervalMs`; a failed beat is logged, never fatal. */
export function startWatchdog(deps: WatchdogDeps, intervalMs = WATCHDOG_INTERVAL_MS): WatchdogTimer {
  let running = false;
  const beat = async () => {
    if (running) return; // a slow beat is never stacked on another
    running = true;
    try {
      await sendWatchdog(deps);
    } catch (error) {
      deps.log('warn', 'watchdog failed', { error: errorMessage(error) });
    } finally {
      running = false;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  return { stop: () => clearInterval(timer) };
}
