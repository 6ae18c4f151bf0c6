/**
 * How gatewayctl reaches a gateway's admin API, and which one: `--admin URL`, else `ADMIN_HOST`/`ADMIN_PORT`
 * (a wildcard bind is reached on loopback), else the documented default http://127.0.0.1:9090. Where the
 * address came from is kept, so gatewayctl can say which gateway it talked to and why. With
 * `ADMIN_TOKEN` set it sends `Authorization: Bearer $ADMIN_TOKEN`; the token is never printed.
 */
import { UsageError } from './cli.ts';

export const DEFAULT_ADMIN = 'http://127.0.0.1:9090';

export interface AdminApi {
  base: string;
  /** Where `base` came from, for the line naming the gateway: `--admin`, `ADMIN_PORT`, `default`, ... */
  origin: string;
  /** Sends a request; a refused token or a missing gateway becomes an Error with one clear line. */
  request(path: string, init?: { method?: string }): Promise<Response>;
}

const PORT = /^\d{1,5}$/;

/** The admin API's address and where it came from; a malformed `--admin` or ADMIN_PORT is a UsageError. */
export function resolveAdmin(env: NodeJS.ProcessEnv, flag?: string): { base: string; origin: string } {
  if (flag !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(flag);
    } catch {}
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.username)
      throw new UsageError(`--admin must be an http(s) URL such as http://127.0.0.1:9090, not "${flag}"`);
    return { base: url.origin, origin: '--admin' };
  }
  const port = env.ADMIN_PORT || undefined;
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535))
    throw new UsageError(`ADMIN_PORT must be a port number, not "${port}"`);
  if (!env.ADMIN_HOST && !port)
    return { base: DEFAULT_ADMIN, origin: 'default: --admin URL or ADMIN_PORT for another' };
  const configured = env.ADMIN_HOST || '127.0.0.1';
  const host = /^[0.:]+$/.test(configured) ? '127.0.0.1' : configured;
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const from = [env.ADMIN_HOST && 'ADMIN_HOST', port && 'ADMIN_PORT'].filter(Boolean).join(', ');
  return { base: `http://${bracketed}:${port ?? '9090'}`, origin: from };
}

export function adminApi(env: NodeJS.ProcessEnv, flag?: string): AdminApi {
  const { base, origin } = resolveAdmin(env, flag);
  const headers: Record<string, string> = env.ADMIN_TOKEN
    ? { authorization: `Bearer ${env.ADMIN_TOKEN}` }
    : {};
  return {
    base,
    origin,
    async request(path, init = {}) {
      const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers }).catch(() => {
        throw new Error(
          `no gateway admin API answers at ${base}: give --admin URL or ADMIN_PORT for its admin listener, or REDIS_URL to read Redis`,
        );
      });
      if (res.status === 401)
        throw new Error(
          env.ADMIN_TOKEN
            ? `the admin API at ${base} refused ADMIN_TOKEN (401): it is not the token that gateway was started with`
            : `the admin API at ${base} requires a token (401): set ADMIN_TOKEN to the gateway's ADMIN_TOKEN`,
        );
      return res;
    },
  };
}

/** The `{error:{code,message}}` of a failed admin answer, as one line. */
export async function adminFailure(res: Response, what: string): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const error = body?.error;
  return new Error(
    error?.message
      ? `${what}: ${error.message} (${error.code ?? res.status})`
      : `${what}: the admin API answered ${res.status}`,
  );
}
