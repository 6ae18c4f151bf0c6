/**
 * gatewayctl's commands and options, once: what each takes, and the help text `help`, `--help` and a
 * usage error print from it.
 */

export type OptionName = 'json' | 'help' | 'admin' | 'container' | 'project' | 'org' | 'ttl';

export const OPTIONS: Record<OptionName, { type: 'boolean' | 'string'; short?: string; help: string }> = {
  json: { type: 'boolean', help: 'print JSON (one document; `watch`: one object per line)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  admin: {
    type: 'string',
    help: "the gateway's admin API, e.g. http://127.0.0.1:9091 (else ADMIN_HOST/ADMIN_PORT, else http://127.0.0.1:9090)",
  },
  container: {
    type: 'string',
    help: 'container id (letters, digits, "_" or "-"; a DNS label once lowercased)',
  },
  project: { type: 'string', help: 'project id' },
  org: { type: 'string', help: 'organisation id' },
  ttl: { type: 'string', help: 'lifetime, a duration such as 365d (default) or 12h' },
};

export interface CommandSpec {
  /** Positional arguments after the command, as usage shows them. */
  args: string;
  /** How many positional arguments it takes: [min, max]. */
  arity: [number, number];
  summary: string;
  options: OptionName[];
  /** Read commands answer in a table, or with --json. */
  read: boolean;
}

const READ: OptionName[] = ['json', 'admin', 'help'];

export const COMMANDS = {
  containers: {
    args: '',
    arity: [0, 0],
    summary: 'containers known to the store',
    options: READ,
    read: true,
  },
  routes: {
    args: '',
    arity: [0, 0],
    summary: 'the route table (hostname -> container, service, upstream, access)',
    options: READ,
    read: true,
  },
  health: {
    args: '',
    arity: [0, 0],
    summary: 'last watchdog age and online/offline per container',
    options: READ,
    read: true,
  },
  gateways: {
    args: '',
    arity: [0, 0],
    summary: "the pool's gateways: alive, draining or dead, last beat, containers held",
    options: READ,
    read: true,
  },
  vpn: {
    args: '',
    arity: [0, 0],
    summary: 'connected VPN clients (admin API)',
    options: READ,
    read: true,
  },
  watch: {
    args: '',
    arity: [0, 0],
    summary:
      'changes live until Ctrl-C: from the admin API (GET /admin/events), or from Redis when REDIS_URL (Sentinel, Cluster) is set',
    options: ['json', 'help'],
    read: true,
  },
  revoke: {
    args: 'ID',
    arity: [1, 1],
    summary:
      'revoke a container for good: routes, WebSockets, certificate, VPN client, address (admin API); an unknown id fails',
    options: READ,
    read: false,
  },
  token: {
    args: '--container ID --project ID --org ID [--ttl 365d]',
    arity: [0, 0],
    summary:
      "mint a development container token with the gateway's DATA_DIR key; ids the gateway would refuse are refused",
    options: ['container', 'project', 'org', 'ttl', 'json', 'help'],
    read: false,
  },
  help: {
    args: '[COMMAND]',
    arity: [0, 1],
    summary: 'this help, or one command’s',
    options: ['help'],
    read: false,
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

const ENVIRONMENT = `environment:
  REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES: read Redis directly
  ADMIN_HOST, ADMIN_PORT (127.0.0.1, 9090), ADMIN_TOKEN: the admin API (without Redis, or with --admin)
  DATA_DIR (.data) for token; LIVENESS_TIMEOUT (45s) for health; POOL_DEAD_AFTER (6s) for gateways from Redis
Where it reads is named on stderr. Exit status: 0 ok, 1 failed, 2 usage error.`;

const synopsis = (name: CommandName): string => {
  const spec: CommandSpec = COMMANDS[name];
  const flags = spec.options.filter((o) => o === 'json' || o === 'admin');
  return [`gatewayctl ${name}`, spec.args, ...flags.map((o) => (o === 'json' ? '[--json]' : '[--admin URL]'))]
    .filter(Boolean)
    .join(' ');
};

/** The whole usage: every command in one line each. */
export function usage(): string {
  const rows = (Object.keys(COMMANDS) as CommandName[]).map((name) => {
    const head = `${name} ${COMMANDS[name].args}`;
    // A long synopsis gets its own line, the summary below it in the column.
    return `  ${head.length < 27 ? head.padEnd(27) : `${head}\n${' '.repeat(29)}`}${COMMANDS[name].summary}`;
  });
  return [
    'usage: gatewayctl <command> [options]   (gatewayctl help <command> for one command)',
    ...rows,
    ENVIRONMENT,
  ].join('\n');
}

/** One command's help: its synopsis, what it does, its options. */
export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const options = spec.options.map((o) => {
    const flag = `--${o}${OPTIONS[o].type === 'string' ? ` ${o.toUpperCase()}` : ''}`;
    return `  ${flag.padEnd(22)}${OPTIONS[o].help}`;
  });
  return [`usage: ${synopsis(name)}`, spec.summary, 'options:', ...options, ENVIRONMENT].join('\n');
}
