import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { cpuList, envPairs, positiveInt } from './option-schemas.ts';

export const BenchOptions = z.object({
  reps: positiveInt.default(5),
  duration: positiveInt.default(10),
  warmup: z.coerce.number().int().nonnegative().default(3),
  only: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined,
    ),
  body: z
    .string()
    .default('100')
    .transform((v) => v.split(',').map(Number))
    .pipe(z.array(z.union([z.literal(100), z.literal(65536)])).min(1)),
  connections: positiveInt.default(50),
  json: z.string().optional(),
  routes: z
    .string()
    .default('0')
    .transform((v) => v.split(',').map(Number))
    .pipe(z.array(z.number().int().nonnegative()).min(1)),
  servicesPerContainer: positiveInt.default(1000),
  gatewayEnv: envPairs,
  variantEnv: envPairs,
  gatewayctl: z
    .string()
    .optional()
    .transform((v) => {
      const [command, ...args] = v?.split(/\s+/).filter(Boolean) ?? [];
      return command ? { command, args } : undefined;
    }),
  baseline: z
    .string()
    .optional()
    .refine((dir) => dir === undefined || existsSync(join(dir, 'gateway', 'main.ts')), {
      message: 'not a checkout of the gateway (no gateway/main.ts there)',
    }),
  loadCpus: cpuList.default('0'),
  proxyCpus: cpuList.default('1'),
  keep: z.boolean().default(false),
});
export type BenchOptions = z.infer<typeof BenchOptions>;

export const USAGE = `usage: npx tsx scripts/bench/proxy.ts [options]
  --reps N                 interleaved repetitions, medians reported (5)
  --duration S             measured wrk run, seconds (10)
  --warmup S               wrk warm-up before each measured run, seconds (3)
  --only a,b               proxies to run: direct,nginx,chp,fastify,gateway-node,gateway-deno,gateway-bun
  --body 100|65536         response body size; "100,65536" runs both (100)
  --connections N          wrk connections (50)
  --routes N[,M]           extra routes registered in the gateway before measuring (0); a list
                           ("10,100000") runs each gateway once per size, interleaved
  --services-per-container N   services per extra container, each container has its own token (1000)
  --gateway-env KEY=VALUE  extra environment for the gateway (repeatable)
  --variant-env KEY=VALUE  also run this checkout's gateway on Node with this environment on top
                           (repeatable), as gateway-node@variant, interleaved: a setting's cost, paired
  --gatewayctl "CMD ARGS"  how to run gatewayctl (default: node <package.json bin>)
  --baseline DIR           another checkout of the gateway (dependencies installed) run on Node beside
                           this one as gateway-node@baseline, interleaved: before/after comparisons
  --load-cpus LIST         CPUs for wrk and the origin (0)
  --proxy-cpus LIST        CPUs for the proxy under test (1)
  --json FILE              also write samples and medians as JSON
  --keep                   keep the scratch directory (configs, logs) after the run`;

/** Parses argv; throws with the offending option and the usage text. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      body: { type: 'string' },
      connections: { type: 'string' },
      json: { type: 'string' },
      routes: { type: 'string' },
      'services-per-container': { type: 'string' },
      'gateway-env': { type: 'string', multiple: true },
      'variant-env': { type: 'string', multiple: true },
      gatewayctl: { type: 'string' },
      baseline: { type: 'string' },
      'load-cpus': { type: 'string' },
      'proxy-cpus': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const parsed = BenchOptions.safeParse({
    ...values,
    servicesPerContainer: values['services-per-container'],
    gatewayEnv: values['gateway-env'],
    variantEnv: values['variant-env'],
    loadCpus: values['load-cpus'],
    proxyCpus: values['proxy-cpus'],
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${issues}\n\n${USAGE}`);
  }
  return parsed.data;
}
