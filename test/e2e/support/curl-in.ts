/**
 * HTTP from inside a namespace (or a container) with curl: the test process itself may only talk to
 * loopback, so every request to the gateway's listeners, the TLS front or a VPN address runs in there.
 *
 *   curlIn(run, url, { method?, headers?, body?, resolve? }) -> { status, body }
 *     run: how to execute curl (Topology.exec bound to a namespace, or ContainerProcess.exec)
 *     resolve: `host:port:address` entries for curl --resolve (no DNS in the namespaces)
 *   jsonIn(run, url, init?) -> parsed JSON body, throws with status and body when not 2xx
 */
import type { CommandResult } from '../support/processes.ts';

export type Runner = (
  cmd: string,
  args: string[],
  opts?: { timeoutMs?: number; allowFailure?: boolean },
) => Promise<CommandResult>;

export interface CurlInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  resolve?: string[];
  /** curl --max-time in seconds (default 10). */
  maxTimeSeconds?: number;
}

export interface CurlAnswer {
  status: number;
  body: string;
}

const STATUS_MARK = '\n--curl-status:';

/** One request; status 0 means curl could not complete it (refused, timed out). */
export async function curlIn(run: Runner, url: string, init: CurlInit = {}): Promise<CurlAnswer> {
  const maxTime = init.maxTimeSeconds ?? 10;
  const args = ['-sk', '--max-time', String(maxTime), '-X', init.method ?? 'GET'];
  for (const [name, value] of Object.entries(init.headers ?? {})) args.push('-H', `${name}: ${value}`);
  for (const entry of init.resolve ?? []) args.push('--resolve', entry);
  if (init.body !== undefined) args.push('--data-binary', init.body);
  args.push('-w', `${STATUS_MARK}%{http_code}`, url);
  const out = await run('curl', args, { timeoutMs: (maxTime + 5) * 1000, allowFailure: true });
  const at = out.stdout.lastIndexOf(STATUS_MARK);
  if (at < 0) return { status: 0, body: out.stdout };
  return { status: Number(out.stdout.slice(at + STATUS_MARK.length)), body: out.stdout.slice(0, at) };
}

/** A JSON request that must succeed. */
export async function jsonIn<T = unknown>(run: Runner, url: string, init: CurlInit = {}): Promise<T> {
  const answer = await curlIn(run, url, init);
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
  return JSON.parse(answer.body) as T;
}
