/**
 * V8's young-generation collector on a gateway that may use one CPU only (a container or VM with one
 * core, or a process pinned with `taskset`, as in scripts/bench/). V8 splits each scavenge into tasks
 * for its helper threads; with one CPU those threads only take turns with the main thread, which waits
 * for them. The gateway then scavenges on the main thread alone.
 *
 * Measured with scripts/bench/proxy.ts --baseline (proxy pinned to one CPU): a scavenge paused the proxy
 * 1.17 ms instead of 1.43 ms (--trace-gc-nvp), and in 14 paired repetitions over three runs a proxied
 * request cost less CPU in 11 (run medians 33.3/35.4, 31.7/33.8 and 32.7/31.9 µs). With two CPUs or
 * more, the helpers run beside the main thread, and V8's default stays.
 *
 * `--parallel-scavenge` is read at every scavenge, so setting it after start is safe; flags that change
 * running collectors (`--single-threaded-gc`, concurrent marking) are not, and are left alone: set at
 * run time, `--single-threaded-gc` made the gateway stop answering.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

/** The V8 flags the gateway sets for itself, for the number of CPUs it may run on. */
export function collectorFlags(cpus: number): string[] {
  return cpus <= 1 ? ['--no-parallel-scavenge'] : [];
}

/** Sets `collectorFlags` for the CPUs this process may use (its affinity); returns what was set. */
export function tuneCollector(cpus = availableParallelism()): string[] {
  const flags = collectorFlags(cpus);
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
