/**
 * A round of posts run now and then every period (registrations, watchdog beats), run again soon when it
 * failed for a reason that can pass: right after a gateway restart the first post meets a reset or a
 * refusal, and waiting for the next period would leave a gateway that lost its store without the
 * service for 15 s. A reset is retried at once (the dead connection was most likely a kept-alive one to
 * the old process), everything else with back-off: 1 s doubling, jittered, capped at the period, so a
 * dead gateway never sees more than one attempt per period once the first few are spent.
 */
import { type Backoff, createBackoff } from './backoff.ts';
import { EventPostError } from './event-failure.ts';
import type { Log } from './log.ts';

/** `ok`; `failed`: not worth retrying before the next period; `retry`: soon, with back-off; `reset`: at once. */
export type RoundOutcome = 'ok' | 'failed' | 'retry' | 'reset';

export interface Round {
  /** This round repeats a failed one: its posts take new connections, not kept-alive ones. */
  freshConnection: boolean;
}

export interface RefreshLoop {
  /** Runs a round now (a pending retry and its back-off are dropped), then keeps the schedule. */
  runNow(): Promise<void>;
  stop(): void;
}

export interface RefreshLoopOptions {
  /** Names the task in log lines. */
  task: string;
  intervalMs: number;
  log: Log;
  backoff?: Backoff;
}

const WORST_FIRST: RoundOutcome[] = ['reset', 'retry', 'failed', 'ok'];

/** The outcome of a post that threw: retry only what an answer or its absence says may pass. */
export function outcomeOf(error: unknown): RoundOutcome {
  if (!(error instanceof EventPostError) || !error.retryable) return 'failed';
  return error.kind === 'reset' ? 'reset' : 'retry';
}

/** The outcome of several posts made together: the one that asks for the soonest retry. */
export function worstOf(outcomes: readonly RoundOutcome[]): RoundOutcome {
  return WORST_FIRST.find((o) => outcomes.includes(o)) ?? 'ok';
}

/** Runs `round` on the schedule above; nothing runs before `runNow`. */
export function createRefreshLoop(
  round: (r: Round) => Promise<RoundOutcome>,
  options: RefreshLoopOptions,
): RefreshLoop {
  const { intervalMs, log, task } = options;
  const backoff =
    options.backoff ?? createBackoff({ initialMs: Math.min(1_000, intervalMs), maxMs: intervalMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A round still running when runNow or stop came belongs to the old schedule: its outcome is dropped.
  let generation = 0;
  let failures = 0;
  const run = async (of: number) => {
    timer = undefined;
    const started = Date.now();
    const outcome = await round({ freshConnection: failures > 0 }).catch((): RoundOutcome => 'failed');
    if (of !== generation) return;
    let delay: number;
    if (outcome === 'ok' || outcome === 'failed') {
      failures = 0;
      backoff.reset();
      delay = Math.max(0, intervalMs - (Date.now() - started));
    } else {
      failures += 1;
      delay = outcome === 'reset' && failures === 1 ? 0 : Math.min(backoff.next(), intervalMs);
      log('info', 'retry scheduled', { task, delayMs: delay, attempt: failures });
    }
    timer = setTimeout(() => void run(of), delay);
  };
  const stop = () => {
    generation += 1;
    if (timer) clearTimeout(timer);
    timer = undefined;
    failures = 0;
    backoff.reset();
  };
  return {
    runNow() {
      stop();
      return run(generation);
    },
    stop,
  };
}
