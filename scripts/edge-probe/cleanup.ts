/**
 * What the probe started (gateway processes, apps, temporary directories), stopped in reverse order on
 * the normal path, on Ctrl-C / SIGTERM / SIGHUP, on an unexpected error, and when whoever reads the
 * output goes away (`| head`): nothing is left behind. Each stop may bring a synchronous last resort
 * (kill the process group, remove the directory) that runs at process exit if the stop itself never ran.
 */

type Stop = () => Promise<void> | void;

export interface Cleanup {
  /** Registers a stop function; returns one that runs it (once) and unregisters it. */
  add(stop: Stop, lastResort?: () => void): () => Promise<void>;
  /** Runs every registered stop function, most recent first, each bounded. */
  runAll(): Promise<void>;
}

const STOP_BOUND_MS = 15_000;

export function createCleanup(): Cleanup {
  const stops = new Map<Stop, (() => void) | undefined>();
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
  // 'exit' also follows an uncaught exception; only SIGKILL skips it.
  process.on('exit', () => {
    for (const lastResort of [...stops.values()].reverse()) {
      try {
        lastResort?.();
      } catch {
        // keep going: the others still need to run
      }
    }
  });
  return {
    add(stop, lastResort) {
      stops.set(stop, lastResort);
      return () => (stops.has(stop) ? runOne(stop) : Promise.resolve());
    },
    async runAll() {
      for (const stop of [...stops.keys()].reverse()) await runOne(stop);
    },
  };
}

/** Writes to stderr that never throw (a closed pipe must not stop the cleanup). */
const say = (text: string) => {
  try {
    process.stderr.write(text);
  } catch {
    // nobody is listening
  }
};

/** Stops everything and exits on signals, an uncaught error, or a closed stdout/stderr. */
export function stopOnSignals(cleanup: Cleanup): void {
  let stopping = false;
  const stopAndExit = (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) say(why);
    void cleanup.runAll().finally(() => process.exit(code));
  };
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)
    process.on(signal, () => stopAndExit(code, `\n${signal}: stopping what the probe started\n`));
  process.on('uncaughtException', (err) => stopAndExit(1, `edge probe: ${err.stack ?? err.message}\n`));
  // EPIPE and the like: the reader left, so the report has nowhere to go.
  process.stdout.on('error', () => stopAndExit(1));
  process.stderr.on('error', () => stopAndExit(1));
}
