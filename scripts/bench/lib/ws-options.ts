import { parseArgs } from 'node:util';
import { z } from 'zod';
import { cpuList, envPairs, positiveInt } from './option-schemas.ts';

/** The loads of one repetition; `--quick` swaps in QUICK. */
export const WsLoads = z.object({
  idle: positiveInt.max(9_500).default(2_000),
  hold: z.coerce.number().nonnegative().default(10),
  typing: positiveInt.default(500),
  typingHz: z.coerce.number().positive().default(10),
  typingSeconds: positiveInt.default(10),
  burstMib: positiveInt.default(256),
  burstIdle: positiveInt.default(1_000),
  handshakes: positiveInt.default(2_000),
  churnSeconds: positiveInt.default(5),
  churnConcurrency: positiveInt.default(10),
});
export type WsLoads = z.infer<typeof WsLoads>;

const QUICK: Partial<Record<keyof WsLoads, number>> = {
  idle: 500,
  hold: 2,
  typing: 200,
  typingSeconds: 3,
  burstMib: 64,
  burstIdle: 200,
  handshakes: 300,
  churnSeconds: 2,
};

export const WsOptions = z.object({
  reps: positiveInt.default(3),
  only: z
    .string()
    .optional()
    .transform((v) =>
      v
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  workers: positiveInt.max(16).default(2),
  gatewayEnv: envPairs,
  loadCpus: cpuList.default('0'),
  proxyCpus: cpuList.default('1'),
  json: z.string().optional(),
  keep: z.boolean().default(false),
  loads: WsLoads,
});
export type WsOptions = z.infer<typeof WsOptions>;

export const USAGE = `usage: npx tsx scripts/bench/ws.ts [options]
  --reps N                 interleaved repetitions, medians reported (3)
  --quick                  small loads (500 idle, 200 typing for 3 s, 64 MiB burst, 300 handshakes), 1 rep
  --only a,b               proxies: direct,nginx,chp,node-floor,gateway-node,gateway-deno,gateway-bun
  --idle N                 idle WebSockets opened and held through the proxy (2000; at most 9500)
  --hold S                 seconds they are held before every one must echo (10)
  --typing N               of them, how many type (500) ...
  --typing-hz F            ... this many frames a second each (10) ...
  --typing-seconds S       ... for this long (10)
  --burst-mib N            MiB sent by the upstream on one fresh WebSocket (256) ...
  --burst-idle N           ... while this many held ones echo once a second (1000, at most --idle)
  --handshakes N           WebSocket handshakes (open + close) for the churn load (2000)
  --churn-seconds S        wrk run of HTTP requests, one new connection each (5)
  --churn-concurrency N    handshakes in flight and wrk connections (10)
  --workers N              load-generator processes holding the sockets (2), plus one for the burst
  --gateway-env KEY=VALUE  environment for the gateway (repeatable; ACCESS_LOG=all and
                           LIVENESS_TIMEOUT=1h unless given)
  --load-cpus LIST         CPUs for the load generator and the echo upstream (0)
  --proxy-cpus LIST        CPUs for the proxy under test (1)
  --json FILE              also write samples and medians as JSON
  --keep                   keep the scratch directory (configs, logs) after the run`;

const LOAD_FLAGS: Record<string, keyof WsLoads> = {
  idle: 'idle',
  hold: 'hold',
  typing: 'typing',
  'typing-hz': 'typingHz',
  'typing-seconds': 'typingSeconds',
  'burst-mib': 'burstMib',
  'burst-idle': 'burstIdle',
  handshakes: 'handshakes',
  'churn-seconds': 'churnSeconds',
  'churn-concurrency': 'churnConcurrency',
};

/** Parses argv; throws with the offending option and the usage text. */
export function parseWsOptions(argv: string[]): WsOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      workers: { type: 'string' },
      'gateway-env': { type: 'string', multiple: true },
      'load-cpus': { type: 'string' },
      'proxy-cpus': { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
      ...Object.fromEntries(Object.keys(LOAD_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  if (values.help) throw new Error(USAGE);
  const loose = values as Record<string, unknown>;
  const given = Object.fromEntries(
    Object.entries(LOAD_FLAGS).flatMap(([flag, key]) =>
      loose[flag] === undefined ? [] : [[key, loose[flag]]],
    ),
  );
  const parsed = WsOptions.safeParse({
    reps: values.reps ?? (values.quick ? '1' : undefined),
    only: values.only,
    workers: values.workers,
    gatewayEnv: values['gateway-env'],
    loadCpus: values['load-cpus'],
    proxyCpus: values['proxy-cpus'],
    json: values.json,
    keep: values.keep,
    loads: { ...(values.quick ? QUICK : {}), ...given },
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${issues}\n\n${USAGE}`);
  }
  const { loads } = parsed.data;
  if (loads.typing > loads.idle || loads.burstIdle > loads.idle)
    throw new Error(`--typing and --burst-idle use held sockets: at most --idle (${loads.idle})\n\n${USAGE}`);
  return parsed.data;
}
