/**
 * What the probe started (gateway processes, apps, temporary directories), stopped in reverse order on
 * the normal path, on Ctrl-C / SIGTERM, and on an unexpected error: nothing is left behind.
 */

type Stop = () => Promise<void> | void;

export interface Cleanup {
  /** Registers a stop function; returns one that runs it (once) and unregisters it. */
  add(stop: Stop): () => Promise<void>;
  /** Runs every registered stop function, most recent first, each bounded. */
  runAll(): Promise<void>;
}

const STOP_BOUND_MS = 15_000;

export function createCleanup(): Cleanup {
  const stops = new Set<Stop>();
  const runOne = async (stop: Stop) => {
    stops.delete(stop);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_BOUND_MS);
    });
    await Promise.race([
      Promise.resolve()
        .then(stop)
        .catch(() => {}),
      bound,
    ]);
    clearTimeout(timer);
  };
  return {
    add(stop) {
      stops.add(stop);
      return () => (stops.has(stop) ? runOne(stop) : Promise.resolve());
    },
    async runAll() {
      for (const stop of [...stops].reverse()) await runOne(stop);
    },
  };
}

/** Stops everything on SIGINT/SIGTERM (then exits 130/143) and on an uncaught error (then exits 1). */
export function stopOnSignals(cleanup: Cleanup): void {
  process.once('uncaughtException', (err) => {
    process.stderr.write(`edge probe: ${err.stack ?? err.message}\n`);
    void cleanup.runAll().finally(() => process.exit(1));
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping what the probe started\n`);
      void cleanup.runAll().finally(() => process.exit(code));
    });
}
