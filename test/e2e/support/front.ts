/**
 * Runs the TLS terminator (tls-terminator-main.ts) as a process inside a topology namespace.
 *
 *   startTlsTerminatorIn(topology, ns, { listen: '10.250.0.1:443', upstream: '127.0.0.1:8080' | 'unix:/p',
 *                                        names?: string[], plain?: boolean, identityFile?: string })
 *     -> Promise<{ url, process }>   url e.g. `https://10.250.0.1:443`; the process dies with topology.destroy()
 */
import { fileURLToPath } from 'node:url';
import type { Namespaces } from './netns.ts';
import type { TrackedProcess } from './processes.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = `${REPO}node_modules/.bin/tsx`;
const MAIN = fileURLToPath(new URL('./tls-terminator-main.ts', import.meta.url));

export interface FrontInNamespace {
  url: string;
  process: TrackedProcess;
}

/** Starts the front in `ns` and waits until it listens. */
export async function startTlsTerminatorIn(
  topology: Namespaces,
  ns: string,
  options: { listen: string; upstream: string; names?: string[]; plain?: boolean; identityFile?: string },
): Promise<FrontInNamespace> {
  const args = [MAIN, '--listen', options.listen, '--upstream', options.upstream];
  for (const name of options.names ?? []) args.push('--name', name);
  if (options.plain) args.push('--plain');
  if (options.identityFile) args.push('--identity', options.identityFile);
  const process = topology.spawnIn(ns, TSX, args, { cwd: REPO });
  const match = await process.waitForOutput(/listening (https?:\/\/\S+)/, 20_000);
  return { url: match[1] ?? '', process };
}
