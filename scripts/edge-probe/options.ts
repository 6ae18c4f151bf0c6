/** Command-line options: which runtimes, where to write the JSON report, and a case filter for debugging. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Runtime } from '../../gateway/server/runtime.ts';

const RUNTIMES: readonly Runtime[] = ['node', 'deno', 'bun'];

const ProbeOptions = z.object({
  runtime: z
    .string()
    .default(RUNTIMES.join(','))
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['node', 'deno', 'bun'])).min(1)),
  json: z.string().optional(),
  only: z.string().optional(),
  /** Another checkout's gateway (an older commit, to see the cases fail without the fixes). */
  gateway: z.string().optional(),
});
export type ProbeOptions = z.infer<typeof ProbeOptions>;

export const USAGE =
  'usage: npx tsx scripts/edge-probe/main.ts [--runtime node,deno,bun] [--json out.json] [--only <case id part>] [--gateway <checkout>]';

export function parseOptions(argv: string[]): ProbeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runtime: { type: 'string' },
      json: { type: 'string' },
      only: { type: 'string' },
      gateway: { type: 'string' },
    },
    strict: true,
  });
  const parsed = ProbeOptions.safeParse(values);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => i.message).join('; ')}\n${USAGE}`);
  return parsed.data;
}
