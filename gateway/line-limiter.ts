/**
 * A log's line budget per key (a reason, an error code: closed lists): at most `burst` lines per key per
 * window; the rest are only counted and told in one summary line per key when the window ends, so a
 * flood of hostile requests cannot fill a disk.
 */

export interface LineLimiterOptions {
  /** Lines per key per window before further ones are only counted. */
  burst?: number;
  windowMs?: number;
}

export interface LineLimiter {
  /** Whether a line for `key` may be written now; false counts it as suppressed. */
  admit(key: string): boolean;
  /** Ends the window early (reporting what it suppressed) and stops the timer. */
  stop(): void;
}

/** `suppressed(key, count, windowMs)` writes the summary line of a key whose window dropped lines. */
export function createLineLimiter(
  suppressed: (key: string, count: number, windowMs: number) => void,
  options: LineLimiterOptions = {},
): LineLimiter {
  const burst = options.burst ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const windows = new Map<string, { logged: number; suppressed: number }>();
  const roll = () => {
    for (const [key, w] of windows) if (w.suppressed > 0) suppressed(key, w.suppressed, windowMs);
    windows.clear();
  };
  const timer = setInterval(roll, windowMs);
  timer.unref?.();
  return {
    admit(key) {
      let w = windows.get(key);
      if (w === undefined) {
        w = { logged: 0, suppressed: 0 };
        windows.set(key, w);
      }
      if (w.logged >= burst) {
        w.suppressed++;
        return false;
      }
      w.logged++;
      return true;
    },
    stop() {
      clearInterval(timer);
      roll();
    },
  };
}
