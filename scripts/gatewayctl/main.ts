/**
 * gatewayctl: the operator's CLI. Tables for people, `--json` for scripts; the gateway or Redis it talks
 * to is named on stderr. Exit status 0, 1 when something failed (one line), 2 for a usage error (one
 * line and the usage); never a stack trace.
 */
import { mintContainerToken } from '../../gateway/auth/container-token.ts';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import type { RevocationResult } from '../../gateway/control/revocation.ts';
import { parseDuration } from '../../gateway/duration.ts';
import { describeTarget, type RedisTarget, readRedisTarget } from '../../gateway/store/redis-target.ts';
import type { ConnectedClient } from '../../gateway/vpn/management.ts';
import { identityProblem } from '../../shared/container-identity.ts';
import { adminApi, adminFailure } from './admin-api.ts';
import { type CommandLine, parseCommandLine, UsageError } from './cli.ts';
import { commandHelp, isCommand, usage } from './commands.ts';
import { gatewaysTable } from './gateways.ts';
import { containersTable, healthTable, revocationLine, routesTable, vpnTable } from './render.ts';
import { adminApiSource, redisSource, type Source } from './source.ts';
import { watch, watchAdminEvents } from './watch.ts';

const env = process.env;
const out = (text: string) => void process.stdout.write(`${text}\n`);
/** The line that names what gatewayctl talks to (stderr: stdout stays the answer alone). */
const naming = (what: string) => void process.stderr.write(`gatewayctl: ${what}\n`);

function duration(name: string, fallback: string): number {
  const ms = parseDuration(env[name] ?? fallback);
  if (ms === undefined) throw new UsageError(`${name} must be a duration such as ${fallback}`);
  return ms;
}

/** The Redis named by REDIS_URL, REDIS_SENTINELS + REDIS_SENTINEL_NAME or REDIS_CLUSTER_NODES, if any. */
function redisTarget(): RedisTarget | undefined {
  try {
    return readRedisTarget(env);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** `--admin` reads that gateway; else Redis when configured; else the admin API (ADMIN_* or the default). */
function source(admin: string | undefined): Source {
  const liveness = duration('LIVENESS_TIMEOUT', '45s');
  const deadAfter = duration('POOL_DEAD_AFTER', '6s');
  const redis = admin === undefined ? redisTarget() : undefined;
  return redis ? redisSource(redis, liveness, deadAfter) : adminApiSource(adminApi(env, admin));
}

async function read({ command, values }: CommandLine): Promise<void> {
  const json = values.json === true;
  const show = <T>(rows: T, human: (rows: T) => string) =>
    out(json ? JSON.stringify(rows, null, 2) : human(rows));
  const src = source(values.admin as string | undefined);
  naming(`reading ${src.name}`);
  try {
    if (command === 'containers') show(await src.containers(), containersTable);
    else if (command === 'routes') show(await src.routes(), routesTable);
    else if (command === 'health') show(await src.health(), healthTable);
    else show(await src.gateways(), gatewaysTable);
  } finally {
    await src.close();
  }
}

/** Commands only a running gateway can answer: its admin API. */
async function adminCommand({ command, values, positionals }: CommandLine): Promise<void> {
  const api = adminApi(env, values.admin as string | undefined);
  naming(`the admin API at ${api.base} (${api.origin})`);
  const id = positionals[0] as string;
  const res = await api.request(
    command === 'vpn' ? '/admin/vpn/clients' : `/admin/containers/${encodeURIComponent(id)}/revoke`,
    { method: command === 'vpn' ? 'GET' : 'POST' },
  );
  if (!res.ok) throw await adminFailure(res, command);
  const body = (await res.json()) as unknown;
  if (values.json) return out(JSON.stringify(body, null, 2));
  out(command === 'vpn' ? vpnTable(body as ConnectedClient[]) : revocationLine(body as RevocationResult));
}

async function token({ values }: CommandLine): Promise<void> {
  const { container, project, org } = values as Record<string, string | undefined>;
  if (!container || !project || !org)
    throw new UsageError('token needs --container, --project and --org', 'token');
  const problem = identityProblem({ containerId: container, projectId: project, orgId: org });
  if (problem) throw new UsageError(`${problem}: the gateway would refuse this token`, 'token');
  const ttl = parseDuration((values.ttl as string | undefined) ?? '365d');
  if (ttl === undefined) throw new UsageError('--ttl must be a duration such as 365d', 'token');
  const dataDir = env.DATA_DIR || '.data';
  const key = await readDevKey(dataDir);
  if (!key)
    throw new Error(
      `no development key in ${dataDir}: start the gateway once (npm start) with the same DATA_DIR`,
    );
  naming(`signing with the development key in ${dataDir}`);
  const jwt = await mintContainerToken(key, {
    containerId: container,
    projectId: project,
    orgId: org,
    ttlSeconds: Math.round(ttl / 1000),
  });
  out(values.json ? JSON.stringify({ token: jwt }) : jwt);
}

async function run(argv: string[]): Promise<void> {
  const line = parseCommandLine(argv);
  try {
    await runCommand(line);
  } catch (err) {
    // A bad --admin, ADMIN_PORT or duration: show the usage of the command it was given to.
    if (err instanceof UsageError && !err.command && line.command !== 'help')
      throw new UsageError(err.message, line.command);
    throw err;
  }
}

async function runCommand(line: CommandLine): Promise<void> {
  const { command, values, positionals } = line;
  if (command === 'help') {
    const [topic] = positionals;
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command "${topic}"`);
    return out(topic === undefined || topic === 'help' ? usage() : commandHelp(topic));
  }
  if (values.help) return out(commandHelp(command));
  if (command === 'token') return token(line);
  if (command === 'vpn' || command === 'revoke') return adminCommand(line);
  if (command === 'watch') {
    const target = redisTarget();
    if (target) {
      naming(`the change feed in ${describeTarget(target)}`);
      return watch(target, values.json === true);
    }
    // No Redis given: the gateway's own event stream (works on the embedded store).
    const api = adminApi(env, values.admin as string | undefined);
    naming(`watching ${api.base}/admin/events (${api.origin})`);
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    return watchAdminEvents(api, { json: values.json === true, write: out, signal: stop.signal });
  }
  return read(line);
}

// `gatewayctl routes | head` closes stdout early: that is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`gatewayctl: ${err.message}\n${err.command ? commandHelp(err.command) : usage()}\n`);
    process.exit(2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`gatewayctl: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
