/**
 * Environment -> validated configuration. A bad value stops the process with one line naming the
 * variable and what it expects. Defaults make `npm start` work on a bare machine.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../shared/errors.ts';
import { parseDuration } from './duration.ts';
import { type RedisTarget, redisTargetOf, redisTargetShape, targetMixError } from './store/redis-target.ts';

const port = (what: string) => z.coerce.number({ error: what }).int(what).min(1, what).max(65535, what);
/** A whole number from `min` to `max`, named in the error as `what`. */
const count = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
  const expects =
    max === Number.MAX_SAFE_INTEGER ? `${what} of at least ${min}` : `${what} from ${min} to ${max}`;
  return z.coerce.number({ error: expects }).int(expects).min(min, expects).max(max, expects);
};
const duration = (what: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: what });
      return z.NEVER;
    }
    return ms;
  });
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'true or false' })
  .transform((v) => ['true', '1', 'yes'].includes(v));
const hostnameLike = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i, 'a DNS name (optionally with :port)');

const EnvSchema = z.object({
  PORT: port('a TCP port from 1 to 65535').default(8080),
  HOST: z.string().min(1, 'an address to bind').default('0.0.0.0'),
  ADMIN_PORT: port('a TCP port from 1 to 65535').default(9090),
  ADMIN_HOST: z.string().min(1, 'an address to bind the admin listener').default('127.0.0.1'),
  ADMIN_TOKEN: z.string().min(16, 'at least 16 characters of random secret').optional(),
  /** REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES (store/redis-target.ts). */
  ...redisTargetShape,
  DOMAIN: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'a lowercase DNS domain such as localhost or gw.example.com',
    )
    .default('localhost'),
  GATEWAY_FQDN: hostnameLike.optional(),
  GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"')
    .optional(),
  /** How the pool's other gateways reach this one (issue 16); unset: peers route nothing to it. */
  BACKBONE_ADDRESS: z.ipv4({ error: 'an IPv4 address of this gateway on the backbone' }).optional(),
  /** Where containers reach this gateway's OpenVPN; unset: GATEWAY_FQDN's host and VPN_PORT. */
  VPN_REMOTE: hostnameLike.optional(),
  POOL_HEARTBEAT: duration('a duration such as 2s').default(2_000),
  /** Unset: three heartbeats. */
  POOL_DEAD_AFTER: duration('a duration such as 6s').optional(),
  JWT_PUBLIC_KEY: z
    .string()
    .includes('BEGIN PUBLIC KEY', { error: 'a PEM public key (-----BEGIN PUBLIC KEY-----)' })
    .optional(),
  JWT_ALGORITHM: z
    .enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'], {
      error: 'a JWS algorithm such as RS256 or ES256',
    })
    .default('RS256'),
  JWKS_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL of a JWKS document' }).optional(),
  DEV_SIGNING_KEY: flag.default(true),
  LIVENESS_TIMEOUT: duration('a duration such as 45s').default(45_000),
  ROUTE_RETENTION: duration('a duration such as 24h').default(86_400_000),
  DATA_DIR: z.string().min(1, 'a directory path').default('.data'),
  EVENT_BODY_LIMIT: count('a size in bytes', 1024, 1_048_576).default(65_536),
  CLIENT_HEADERS_TIMEOUT: duration('a duration such as 10s').default(10_000),
  CLIENT_IDLE_TIMEOUT: duration('a duration such as 65s').default(65_000),
  UPSTREAM_CONNECT_TIMEOUT: duration('a duration such as 5s').default(5_000),
  UPSTREAM_HEADERS_TIMEOUT: duration('a duration such as 120s').default(120_000),
  UPSTREAM_BODY_TIMEOUT: z
    .string()
    .transform((text, ctx) => {
      const ms = text === '0' ? 0 : parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 300s, or 0 for none' });
        return z.NEVER;
      }
      return ms;
    })
    .default(0),
  UPSTREAM_CONNECTIONS: count('a number of connections', 1, 4096).default(128),
  UPSTREAM_MAX_POOLS: count('a number of pools', 1).default(10_000),
  UPSTREAM_POOL_IDLE: duration('a duration such as 60s').default(60_000),
  ROUTE_CACHE_TTL: duration('a duration such as 5s').default(5_000),
  ROUTE_CACHE_NEGATIVE_TTL: duration('a duration such as 1s').default(1_000),
  ROUTE_CACHE_MAX: count('a number of entries', 100).default(500_000),
  ROUTE_STALE_MAX: duration('a duration such as 10m').default(600_000),
  STORE_TIMEOUT: duration('a duration such as 1s').default(1_000),
  ACTIVITY_FLUSH_INTERVAL: duration('a duration such as 30s').default(30_000),
  /** SIGTERM: how long a draining gateway keeps serving (with /readyz failing) before it closes; 0: none. */
  DRAIN_GRACE: z
    .string()
    .transform((text, ctx) => {
      const ms = text === '0' ? 0 : parseDuration(text);
      if (ms === undefined || ms > 3_600_000) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 10s (at most 1h), or 0 for none' });
        return z.NEVER;
      }
      return ms;
    })
    .default(10_000),
  TRUSTED_PROXIES: z
    .string()
    .regex(/^[0-9a-fA-F.:]+(,[0-9a-fA-F.:]+)*$/, 'a comma-separated list of IP addresses')
    .default('127.0.0.1,::1')
    .transform((v) => new Set(v.split(','))),
  UNDERSCORE_HEADERS: z
    .enum(['drop', 'keep'], { error: 'drop or keep (request headers whose names contain "_")' })
    .default('drop'),
  VPN_ENABLED: flag.default(false),
  VPN_SUBNET: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as 172.16.0.0/16')
    .default('172.16.0.0/16'),
  VPN_PORT: port('a UDP/TCP port from 1 to 65535').default(1194),
  VPN_PROTO: z.enum(['udp', 'tcp'], { error: 'udp or tcp' }).default('udp'),
  VPN_LISTEN: z.ipv4({ error: 'an IPv4 address of this machine to bind OpenVPN to' }).optional(),
  SECRETS_KEY: z.string().min(1, 'a key (64 hex characters or base64 of 32 bytes)').optional(),
  PUBLIC_SCHEME: z
    .enum(['http', 'https'], { error: 'http or https (https behind a TLS terminator)' })
    .default('http'),
  SESSION_SECRET: z.string().min(32, 'at least 32 characters of random secret').optional(),
  ASSERTION_KEY: z
    .string()
    .includes('PRIVATE KEY-----', { error: 'a PKCS#8 PEM P-256 private key' })
    .optional(),
  SESSION_TTL: duration('a duration such as 12h').default(43_200_000),
  LOGIN_URL: z
    .url({ protocol: /^https?$/, error: "an http(s) URL of the platform's sign-in page" })
    .optional(),
  ACCESS_LEVELS: z
    .string()
    .regex(
      /^(public|org|project|owner)(,(public|org|project|owner))*$/,
      'a comma-separated list of public, org, project, owner',
    )
    .default('public,org,project,owner')
    .transform((v) => new Set(v.split(','))),
  DEFAULT_ACCESS: z
    .enum(['public', 'org', 'project', 'owner'], { error: 'public, org, project or owner' })
    .optional(),
  ACCESS_LOG: z.enum(['off', 'errors', 'all'], { error: 'off, errors or all' }).default('off'),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'debug, info, warn or error' })
    .default('info'),
});

export type Env = z.input<typeof EnvSchema>;
/** Every setting's name, set or not (the start-up line lists them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);
type Parsed = z.output<typeof EnvSchema>;

export interface Config
  extends Omit<Parsed, 'GATEWAY_FQDN' | 'GATEWAY_ID' | 'DEFAULT_ACCESS' | 'VPN_REMOTE' | 'POOL_DEAD_AFTER'> {
  GATEWAY_FQDN: string;
  /** The Redis the store lives in (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); unset: memory. */
  redis: RedisTarget | undefined;
  /** Stable across restarts (a restart is the same gateway): the host name unless set. */
  GATEWAY_ID: string;
  /** `host` or `host:port`. */
  VPN_REMOTE: string;
  POOL_DEAD_AFTER: number;
  /** `project` with a platform key; `public` on the development key (so `npm start` + curl just works). */
  DEFAULT_ACCESS: 'public' | 'org' | 'project' | 'owner';
}

/** Values never echoed in an error line. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'JWT_PUBLIC_KEY',
  'SECRETS_KEY',
  'SESSION_SECRET',
  'ASSERTION_KEY',
  'ADMIN_TOKEN',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
]);

/** `localhost`, 127.0.0.0/8, `::1` and their IPv4-mapped forms: addresses only this machine can reach. */
const isLoopback = (host: string) =>
  /^(localhost|::1|(::ffff:)?127(\.\d{1,3}){3})$/i.test(host.replace(/^\[(.*)\]$/, '$1'));

/** The host name as a GATEWAY_ID: a restart (a new process) is the same gateway. */
export const defaultGatewayId = (host: string): string =>
  host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'gateway';

/** Validates the environment; throws a GatewayError whose message is the one line to print. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in EnvSchema.shape && v !== undefined && v !== ''),
  );
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const got =
      present[name] === undefined
        ? ''
        : ` (got "${SECRET_VARIABLES.has(name) ? '...' : String(present[name]).slice(0, 60)}")`;
    throw new GatewayError(
      ErrorCode.BadConfig,
      `config: ${name} must be ${issue?.message ?? 'valid'}${got}`,
      500,
    );
  }
  const c = result.data;
  const redisMix = targetMixError(c);
  if (redisMix) throw new GatewayError(ErrorCode.BadConfig, redisMix, 500);
  if (c.JWT_PUBLIC_KEY && c.JWKS_URL) {
    throw new GatewayError(ErrorCode.BadConfig, 'config: set JWT_PUBLIC_KEY or JWKS_URL, not both', 500);
  }
  if (!c.JWT_PUBLIC_KEY && !c.JWKS_URL && !c.DEV_SIGNING_KEY) {
    throw new GatewayError(
      ErrorCode.BadConfig,
      'config: JWT_PUBLIC_KEY or JWKS_URL must be set when DEV_SIGNING_KEY=false',
      500,
    );
  }
  if (!c.DEV_SIGNING_KEY && c.VPN_ENABLED && !c.SECRETS_KEY) {
    throw new GatewayError(
      ErrorCode.BadConfig,
      'config: SECRETS_KEY must be set when VPN_ENABLED=true and DEV_SIGNING_KEY=false',
      500,
    );
  }
  if (!c.ADMIN_TOKEN && !isLoopback(c.ADMIN_HOST)) {
    throw new GatewayError(
      ErrorCode.BadConfig,
      `config: ADMIN_TOKEN must be set when ADMIN_HOST is not a loopback address (got "${c.ADMIN_HOST.slice(0, 60)}"): /admin/* would be open to the network`,
      500,
    );
  }
  if (!c.DEV_SIGNING_KEY && (!c.SESSION_SECRET || !c.ASSERTION_KEY)) {
    throw new GatewayError(
      ErrorCode.BadConfig,
      'config: SESSION_SECRET and ASSERTION_KEY must be set when DEV_SIGNING_KEY=false',
      500,
    );
  }
  const deadAfter = c.POOL_DEAD_AFTER ?? 3 * c.POOL_HEARTBEAT;
  if (deadAfter < 2 * c.POOL_HEARTBEAT) {
    throw new GatewayError(
      ErrorCode.BadConfig,
      'config: POOL_DEAD_AFTER must be at least twice POOL_HEARTBEAT (one late beat must not kill a gateway)',
      500,
    );
  }
  const fqdn = c.GATEWAY_FQDN ?? (c.DOMAIN === 'localhost' ? `localhost:${c.PORT}` : `gateway.${c.DOMAIN}`);
  return {
    ...c,
    GATEWAY_FQDN: fqdn,
    VPN_REMOTE: c.VPN_REMOTE ?? `${fqdn.replace(/:\d+$/, '')}:${c.VPN_PORT}`,
    POOL_DEAD_AFTER: deadAfter,
    redis: redisTargetOf(c),
    DEFAULT_ACCESS: c.DEFAULT_ACCESS ?? (c.JWT_PUBLIC_KEY || c.JWKS_URL ? 'project' : 'public'),
    GATEWAY_ID: c.GATEWAY_ID ?? defaultGatewayId(hostname()),
  };
}
