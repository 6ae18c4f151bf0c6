/**
 * How gatewayctl reaches a gateway's admin API: `ADMIN_HOST:ADMIN_PORT` (a wildcard bind is reached on
 * loopback), with `Authorization: Bearer $ADMIN_TOKEN` when that is set. The token is never printed.
 */

export interface AdminApi {
  base: string;
  /** Sends a request; a refused token or a missing gateway becomes an Error with one clear line. */
  request(path: string, init?: { method?: string }): Promise<Response>;
}

export function adminApi(env: NodeJS.ProcessEnv): AdminApi {
  const configured = env.ADMIN_HOST || '127.0.0.1';
  const host = /^[0.:]+$/.test(configured) ? '127.0.0.1' : configured;
  const base = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${env.ADMIN_PORT || '9090'}`;
  const headers: Record<string, string> = env.ADMIN_TOKEN
    ? { authorization: `Bearer ${env.ADMIN_TOKEN}` }
    : {};
  return {
    base,
    async request(path, init = {}) {
      const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers }).catch(() => {
        throw new Error(
          `no gateway admin API at ${base} (set ADMIN_HOST and ADMIN_PORT for its admin listener, or REDIS_URL to read Redis)`,
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
