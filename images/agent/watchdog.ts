/** The watchdog beat: typed stats every 15 s, so the gateway knows the container is alive. */
import type { EventBody } from '../../shared/protocol.ts';
import type { SystemStats } from '../../shared/system-stats.ts';
import { EventPostError } from './event-failure.ts';
import type { PostOptions } from './gateway-client.ts';
import type { Log } from './log.ts';
import { errorMessage } from './log.ts';
import { createRefreshLoop, outcomeOf, type Round, type RoundOutcome } from './refresh-loop.ts';

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
  post(body: EventBody, options?: PostOptions): Promise<void>;
  log: Log;
}

/** Sends one watchdog; throws when the gateway did not accept it. */
export async function sendWatchdog(deps: WatchdogDeps, options?: PostOptions): Promise<void> {
  const pingMs = await deps.measureRoundTrip();
  await deps.post(watchdogEvent(await deps.readStats(pingMs), deps.projectId), options);
}

export interface WatchdogTimer {
  stop(): void;
}

/**
 * Beats now and every `intervalMs`; a failed beat is logged, never fatal, and retried soon when it can
 * pass (see refresh-loop.ts). A slow beat is never stacked on another: the next is scheduled after it.
 */
export function startWatchdog(deps: WatchdogDeps, intervalMs = WATCHDOG_INTERVAL_MS): WatchdogTimer {
  const beat = async ({ freshConnection }: Round): Promise<RoundOutcome> => {
    try {
      await sendWatchdog(deps, { freshConnection });
      return 'ok';
    } catch (error) {
      deps.log('warn', 'watchdog failed', {
        error: errorMessage(error),
        ...(error instanceof EventPostError ? { failure: error.kind } : {}),
      });
      return outcomeOf(error);
    }
  };
  const loop = createRefreshLoop(beat, { task: 'watchdog', intervalMs, log: deps.log });
  void loop.runNow();
  return { stop: () => loop.stop() };
}
