/**
 * Process metrics under the names Prometheus clients use (`process_*`), read at scrape time from what
 * Node, Deno and Bun all offer: process.cpuUsage, process.memoryUsage, performance.timeOrigin, and
 * /proc/self for descriptors (Linux; left out elsewhere).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { family, type MetricsPart } from './exposition.ts';

/** Descriptors open now (the listing's own one left out), or undefined where /proc is absent. */
function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

function maxDescriptors(): number | undefined {
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return limit === undefined ? undefined : Number(limit);
  } catch {
    return undefined;
  }
}

export function processMetrics(): MetricsPart {
  const startSeconds = performance.timeOrigin / 1000;
  return {
    render() {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const open = openDescriptors();
      const max = maxDescriptors();
      return [
        family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.', [
          `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
        ]),
        family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent, in seconds.', [
          `process_cpu_user_seconds_total ${cpu.user / 1e6}`,
        ]),
        family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent, in seconds.', [
          `process_cpu_system_seconds_total ${cpu.system / 1e6}`,
        ]),
        family('process_resident_memory_bytes', 'gauge', 'Resident memory size, in bytes.', [
          `process_resident_memory_bytes ${memory.rss}`,
        ]),
        family('process_heap_used_bytes', 'gauge', "The JavaScript heap's live size, in bytes.", [
          `process_heap_used_bytes ${memory.heapUsed}`,
        ]),
        family('process_heap_total_bytes', 'gauge', "The JavaScript heap's reserved size, in bytes.", [
          `process_heap_total_bytes ${memory.heapTotal}`,
        ]),
        open === undefined
          ? ''
          : family('process_open_fds', 'gauge', 'Open file descriptors.', [`process_open_fds ${open}`]),
        max === undefined
          ? ''
          : family('process_max_fds', 'gauge', 'Limit of open file descriptors.', [`process_max_fds ${max}`]),
        family(
          'process_start_time_seconds',
          'gauge',
          'Start time of the process, in seconds since the epoch.',
          [`process_start_time_seconds ${startSeconds}`],
        ),
      ].join('');
    },
  };
}
