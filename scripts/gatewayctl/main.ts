/** gatewayctl: the operator's CLI. Human-readable tables by default, `--json` for scripts. */
import { parseArgs } from 'node:util';
import { mintContainerToken } from '../../gateway/auth/container-token.ts';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import type { RevocationResult } from '../../gateway/control/revocation.ts';
import { parseDuration } from '../../gateway/duration.ts';
import type { ConnectedClient } from '../../gateway/vpn/management.ts';
import { adminApi } from './admin-api.ts';
import { adminApiSource, redisSource, type Source } from './source.ts';
import { age, table } from './table.ts';
import { watch } from './watch.ts';

const USAGE = `usage: gatewayctl <command> [--json]
  containers                 containers known to the store
  routes                     the route table (hostname -> container, service, upstream)
  health                     last watchdog age and online/offline per container
  watch                      route changes and containers coming online, live (needs REDIS_URL)
  vpn                        connected VPN clients (admin API)
  revoke ID                  revoke a container for good: routes, WebSockets, certificate, VPN client, address
                             (admin API); an id the gateway has no trace of is an error
  token --container ID --project UUID --org UUID [--ttl 365d]
                             mint a development container token (needs the gateway's DATA_DIR)
environment: REDIS_URL (read Redis directly), else the admin API at ADMIN_HOST:ADMIN_PORT (127.0.0.1:9090),
             with ADMIN_TOKEN as its bearer token when set; DATA_DIR (.data) for token;
             LIVENESS_TIMEOUT (45s) for health`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    container: { type: 'string' },
    project: { type: 'string' },
    org: { type: 'string' },
    ttl: { type: 'string', default: '365d' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const env = process.env;
const print = (data: unknown, human: () => string): void => {
  process.stdout.write(`${values.json ? JSON.stringify(data, null, 2) : human()}\n`);
};
const fail = (message: string): never => {
  process.stderr.write(`gatewayctl: ${message}\n`);
  process.exit(2);
};

function source(): Source {
  const liveness =
    parseDuration(env.LIVENESS_TIMEOUT ?? '45s') ?? fail('LIVENESS_TIMEOUT must be a duration such as 45s');
  if (env.REDIS_URL) return redisSource(env.REDIS_URL, liveness);
  return adminApiSource(adminApi(env));
}

async function token(): Promise<void> {
  const { container, project, org } = values;
  if (!container || !project || !org) fail('token needs --container, --project and --org');
  const ttl = parseDuration(values.ttl ?? '') ?? fail('--ttl must be a duration such as 365d');
  const dataDir = env.DATA_DIR || '.data';
  const key =
    (await readDevKey(dataDir)) ??
    fail(`no development key in ${dataDir}: start the gateway once (npm start) with the same DATA_DIR`);
  const jwt = await mintContainerToken(key, {
    containerId: container as string,
    projectId: project as string,
    orgId: org as string,
    ttlSeconds: Math.round(ttl / 1000),
  });
  print({ token: jwt }, () => jwt);
}

async function read(command: string, src: Source): Promise<void> {
  const now = Date.now();
  if (command === 'containers') {
    const rows = await src.containers();
    print(rows, () =>
      table(
        ['CONTAINER', 'ORG', 'PROJECT', 'UPSTREAM', 'PRIMARY', 'GATEWAY', 'AGE'],
        rows.map((c) => [
          c.containerId,
          c.orgId,
          c.projectId,
          c.upstream,
          c.primary || '-',
          c.gateway,
          age(now - c.createdAt),
        ]),
      ),
    );
  } else if (command === 'routes') {
    const rows = await src.routes();
    print(rows, () =>
      table(
        ['HOSTNAME', 'CONTAINER', 'SERVICE', 'UPSTREAM', 'ACCESS'],
        rows.map((r) => [r.hostname, r.containerId, r.service, `${r.upstream}:${r.port}`, r.access]),
      ),
    );
  } else {
    const rows = await src.health();
    print(rows, () =>
      table(
        ['CONTAINER', 'STATE', 'LAST WATCHDOG', 'LOAD', 'MEMORY'],
        rows.map((h) => [
          h.containerId,
          h.online ? 'online' : 'offline',
          h.ageMs === null ? 'never' : `${age(h.ageMs)} ago`,
          h.stats?.cpu.load?.join(' ') ?? '-',
          h.stats?.memory.totalMb
            ? `${h.stats.memory.availableMb ?? '?'}/${h.stats.memory.totalMb} MB free`
            : '-',
        ]),
      ),
    );
  }
}

/** Commands that act on a running gateway: its admin API. */
async function adminCommand(command: 'vpn' | 'revoke', id: string | undefined): Promise<void> {
  if (command === 'revoke' && !id) fail('revoke needs a container id');
  const res = await adminApi(env).request(
    command === 'vpn' ? '/admin/vpn/clients' : `/admin/containers/${encodeURIComponent(id as string)}/revoke`,
    { method: command === 'vpn' ? 'GET' : 'POST' },
  );
  const body = (await res.json()) as unknown;
  if (!res.ok) fail(`${command}: ${(body as { error?: { message?: string } }).error?.message ?? res.status}`);
  if (command === 'revoke') {
    const r = body as RevocationResult;
    const what = `routes ${r.routesRemoved ? 'removed' : 'none'}, VPN clients killed ${r.vpnClientsKilled}`;
    return print(body, () =>
      r.alreadyRevoked
        ? `${r.containerId} was already revoked (still revoked): ${what}`
        : `revoked ${r.containerId}: ${what}`,
    );
  }
  const now = Date.now();
  const rows = body as ConnectedClient[];
  print(rows, () =>
    table(
      ['CONTAINER', 'VPN ADDRESS', 'REAL ADDRESS', 'IN', 'OUT', 'SINCE'],
      rows.map((c) => [
        c.commonName,
        c.vpnAddress ?? '-',
        c.realAddress,
        String(c.bytesReceived),
        String(c.bytesSent),
        `${age(now - c.since)} ago`,
      ]),
    ),
  );
}

async function run(): Promise<void> {
  const [command] = positionals;
  if (values.help || !command) return void process.stdout.write(`${USAGE}\n`);
  if (command === 'token') return token();
  if (command === 'watch')
    return watch(
      env.REDIS_URL || fail('watch reads the change feed in Redis: set REDIS_URL'),
      values.json ?? false,
    );
  if (command === 'vpn' || command === 'revoke') return adminCommand(command, positionals[1]);
  if (!['containers', 'routes', 'health'].includes(command)) fail(`unknown command "${command}"\n${USAGE}`);
  const src = source();
  try {
    await read(command, src);
  } finally {
    await src.close();
  }
}

run().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
