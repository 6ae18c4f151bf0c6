/**
 * Which Redis the gateway uses, from configuration: one server (REDIS_URL), a Sentinel-watched primary
 * (REDIS_SENTINELS + REDIS_SENTINEL_NAME) or a Cluster (REDIS_CLUSTER_NODES). Exactly one kind, or none
 * (the embedded memory store). Every Redis user opens its connections from this one target type.
 */
import { z } from 'zod';

export interface RedisAddress {
  host: string;
  port: number;
}

/** The data nodes' credentials (AUTH [username] password); a single server carries them in its URL. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

export type RedisTarget =
  | { kind: 'server'; url: string }
  | ({ kind: 'sentinel'; sentinels: RedisAddress[]; name: string; sentinelPassword?: string } & RedisAuth)
  | ({ kind: 'cluster'; nodes: RedisAddress[] } & RedisAuth);

/** The configuration a target is read from (validated strings, as in gateway/config.ts). */
export interface RedisTargetSettings {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: RedisAddress[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_CLUSTER_NODES?: RedisAddress[] | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port,host:port` (IPv6 in brackets) -> addresses; refuses an empty list or a bad port. */
export const addressList = (what: string) =>
  z.string().transform((text, ctx): RedisAddress[] => {
    const addresses: RedisAddress[] = [];
    for (const item of text.split(',').map((s) => s.trim())) {
      const m = ADDRESS.exec(item);
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: what });
        return z.NEVER;
      }
      addresses.push({ host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port });
    }
    return addresses;
  });

/** The Sentinel master name (as in sentinel.conf's `sentinel monitor <name> ...`). */
export const sentinelName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a Sentinel master name (letters, digits, ".", "_" or "-")');

/** The settings' schemas, shared by gateway/config.ts and gatewayctl. */
export const redisTargetShape = {
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional(),
  /** Sentinel (redis/README.md): the sentinels to ask for the primary named REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: addressList('a comma-separated list of sentinels as host:port').optional(),
  REDIS_SENTINEL_NAME: sentinelName.optional(),
  /** Cluster: a few of its nodes as host:port; the rest are discovered. */
  REDIS_CLUSTER_NODES: addressList('a comma-separated list of cluster nodes as host:port').optional(),
  /** Sentinel's and Cluster's data nodes (requirepass, or an ACL user); REDIS_URL carries its own. */
  REDIS_USERNAME: z.string().min(1).max(256).optional(),
  REDIS_PASSWORD: z.string().min(1, 'a password').max(1024).optional(),
  /** The sentinels' own password (their requirepass), when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1, 'a password').max(1024).optional(),
};

/** Why these settings name no single kind of target, or undefined when they are consistent. */
export function targetMixError(s: RedisTargetSettings): string | undefined {
  const kinds = [
    s.REDIS_URL && 'REDIS_URL',
    (s.REDIS_SENTINELS || s.REDIS_SENTINEL_NAME) && 'REDIS_SENTINELS',
    s.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES',
  ].filter(Boolean);
  if (kinds.length > 1)
    return `config: set one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), not ${kinds.join(' and ')}`;
  if (s.REDIS_SENTINELS && !s.REDIS_SENTINEL_NAME)
    return 'config: REDIS_SENTINEL_NAME must be set with REDIS_SENTINELS (the name the sentinels monitor)';
  if (s.REDIS_SENTINEL_NAME && !s.REDIS_SENTINELS)
    return 'config: REDIS_SENTINELS must be set with REDIS_SENTINEL_NAME (a comma-separated host:port list)';
  if ((s.REDIS_PASSWORD || s.REDIS_USERNAME) && !(s.REDIS_SENTINELS || s.REDIS_CLUSTER_NODES))
    return s.REDIS_URL
      ? 'config: REDIS_URL carries its own credentials (redis://user:password@host:port); REDIS_USERNAME and REDIS_PASSWORD are for REDIS_SENTINELS and REDIS_CLUSTER_NODES'
      : 'config: REDIS_USERNAME and REDIS_PASSWORD need REDIS_SENTINELS or REDIS_CLUSTER_NODES';
  if (s.REDIS_SENTINEL_PASSWORD && !s.REDIS_SENTINELS)
    return 'config: REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS';
  return undefined;
}

/** The configured target, or undefined when no Redis is configured (the memory store). */
export function redisTargetOf(s: RedisTargetSettings): RedisTarget | undefined {
  if (s.REDIS_URL) return { kind: 'server', url: s.REDIS_URL };
  const auth = {
    ...(s.REDIS_USERNAME ? { username: s.REDIS_USERNAME } : {}),
    ...(s.REDIS_PASSWORD ? { password: s.REDIS_PASSWORD } : {}),
  };
  if (s.REDIS_SENTINELS && s.REDIS_SENTINEL_NAME)
    return {
      kind: 'sentinel',
      sentinels: s.REDIS_SENTINELS,
      name: s.REDIS_SENTINEL_NAME,
      ...auth,
      ...(s.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: s.REDIS_SENTINEL_PASSWORD } : {}),
    };
  if (s.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: s.REDIS_CLUSTER_NODES, ...auth };
  return undefined;
}

const joined = (list: RedisAddress[]) =>
  list.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(',');

/** The target for a log line or the banner: never a password. */
export function describeTarget(target: RedisTarget): string {
  if (target.kind === 'server') return target.url.replace(/\/\/([^@/]*)@/, '//***@');
  if (target.kind === 'sentinel') return `redis sentinel "${target.name}" via ${joined(target.sentinels)}`;
  return `redis cluster via ${joined(target.nodes)}`;
}

/**
 * The target named by an environment (gatewayctl): undefined when none; throws an Error whose message
 * names the variable and what it expects, or the mix.
 */
export function readRedisTarget(env: Record<string, string | undefined>): RedisTarget | undefined {
  const present = Object.fromEntries(
    Object.keys(redisTargetShape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])),
  );
  const parsed = z.object(redisTargetShape).safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue?.path[0])} must be ${issue?.message}`);
  }
  const mix = targetMixError(parsed.data);
  if (mix) throw new Error(mix.replace(/^config: /, ''));
  return redisTargetOf(parsed.data);
}

/** A target given as a URL (tests, tools) or already parsed. */
export const asTarget = (target: string | RedisTarget): RedisTarget =>
  typeof target === 'string' ? { kind: 'server', url: target } : target;
