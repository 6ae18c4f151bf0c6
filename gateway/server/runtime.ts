/** Picks the adapter for the runtime we are running on. */
import type { Gateway } from '../gateway.ts';
import type { RunningServer } from './listener.ts';

export type Runtime = 'node' | 'deno' | 'bun';

export function currentRuntime(): Runtime {
  if ('Deno' in globalThis) return 'deno';
  if ('Bun' in globalThis) return 'bun';
  return 'node';
}

export async function startServer(gateway: Gateway, runtime = currentRuntime()): Promise<RunningServer> {
  switch (runtime) {
    case 'deno':
      return (await import('./deno.ts')).startDeno(gateway);
    case 'bun':
      return (await import('./bun.ts')).startBun(gateway);
    default:
      return (await import('./node.ts')).startNode(gateway);
  }
}
