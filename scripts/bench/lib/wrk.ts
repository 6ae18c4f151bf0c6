import { execFile } from 'node:child_process';
import { z } from 'zod';

export interface WrkOptions {
  cpus: string;
  port: number;
  path: string;
  hostHeader: string;
  connections: number;
  durationSeconds: number;
  /** More request headers, `Name: value` (e.g. `Connection: close`: a new connection per request). */
  headers?: string[];
}

export const WrkResult = z.object({
  requestsPerSecond: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  requests: z.number().int(),
  /** Responses outside 2xx/3xx plus socket errors: a healthy run has 0. */
  errors: z.number().int(),
});
export type WrkResult = z.infer<typeof WrkResult>;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function durationMs(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
  const unit = match?.[2];
  if (!match?.[1] || !unit) throw new Error(`wrk output has no ${label}% latency:\n${text}`);
  return Number(match[1]) * (UNIT_MS[unit] ?? Number.NaN);
}

/** Parses `wrk --latency` output (wrk 4.1). */
export function parseWrk(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)?.[1];
  const requests = /^\s*(\d+) requests in /m.exec(text)?.[1];
  if (!rps || !requests) throw new Error(`unexpected wrk output:\n${text}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return WrkResult.parse({
    requestsPerSecond: Number(rps),
    p50Ms: durationMs(text, '50'),
    p99Ms: durationMs(text, '99'),
    requests: Number(requests),
    errors: non2xx + socketErrors,
  });
}

/** One `wrk -t1 -c<n> -d<s>s --latency` run pinned to `cpus`, with the proxy's Host header. */
export function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-c',
    options.cpus,
    'wrk',
    '-t1',
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '-H',
    `Host: ${options.hostHeader}`,
    ...(options.headers ?? []).flatMap((header) => ['-H', header]),
    `http://127.0.0.1:${options.port}${options.path}`,
  ];
  // wrk stops itself after -d; the timeout only guards against a wedged run.
  const timeout = (options.durationSeconds + 30) * 1_000;
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      else {
        try {
          resolve(parseWrk(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      }
    });
  });
}
