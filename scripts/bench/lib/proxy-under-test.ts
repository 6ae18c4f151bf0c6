/** The origin every proxy forwards to: nginx on loopback (see origin.ts). */
export interface Origin {
  port: number;
  /** Path answering `return 200` with a 100-byte body. */
  smallPath: string;
  /** Path of the 64 KiB static file. */
  largePath: string;
}

/** A started proxy, ready to take load on 127.0.0.1:`port`. */
export interface RunningProxy {
  port: number;
  /** The Host header wrk must send so the proxy routes to the origin. */
  hostHeader: string;
  /** Root of the process tree whose CPU and memory are charged to the proxy; undefined for "direct". */
  pid: number | undefined;
  /** Port of a Prometheus `/metrics` with `process_heap_used_bytes` (the gateway's admin port), if any. */
  metricsPort?: number;
  /** Stops the whole tree and waits for it to exit. */
  stop(): Promise<void>;
}

/** What the context gives every proxy start: the CPU it is pinned to and a scratch directory. */
export interface StartContext {
  origin: Origin;
  /** CPU list for `taskset -c` (the proxy runs alone there). */
  proxyCpus: string;
  /** Per-run scratch directory (removed at the end of the run), for configs and logs. */
  workDir: string;
}

/** One row of the table: a proxy the harness can start fresh for every repetition. */
export interface ProxyUnderTest {
  /** Short id used by `--only`. */
  name: string;
  /** Row label in the table. */
  label: string;
  start(context: StartContext): Promise<RunningProxy>;
  /** Called once after the last repetition (e.g. to remove state kept across repetitions). */
  dispose?(): Promise<void>;
}
