/**
 * The configuration as the start-up line shows it: every setting with its effective value, secrets as
 * `set` or `unset` only (the names in SECRET_VARIABLES and any name that says key, token, secret or
 * password), settings left unset as `unset`, and URLs without their user info, query or fragment.
 */
import { CONFIG_VARIABLES, type Config, SECRET_VARIABLES } from './config.ts';

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/;

/** A URL without what could carry a credential: `redis://:pw@host:6379/0?x` -> `redis://host:6379/0`. */
function withoutCredentials(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(not shown)';
  }
}

export function effectiveConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  const values = config as unknown as Record<string, unknown>;
  for (const name of [...CONFIG_VARIABLES].sort()) {
    const value = values[name];
    if (SECRET_VARIABLES.has(name) || SECRET_NAME.test(name))
      shown[name] = typeof value === 'boolean' ? value : value === undefined ? 'unset' : 'set';
    else if (name.endsWith('_URL') && typeof value === 'string') shown[name] = withoutCredentials(value);
    else shown[name] = value instanceof Set ? [...value].join(',') : (value ?? 'unset');
  }
  return shown;
}
