/** Loads the Lua scripts in `redis/` and registers them as ioredis commands (EVALSHA, EVAL on a miss). */
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-clients.ts';

const read = (name: string) => readFileSync(new URL(`../../redis/${name}.lua`, import.meta.url), 'utf8');

export interface ScriptCommands {
  dgMapService(...args: (string | number)[]): Promise<number>;
  dgUnmapService(...args: string[]): Promise<number>;
  dgRemoveContainer(...args: string[]): Promise<number>;
  dgRevokeContainer(...args: string[]): Promise<[status: string, removed: number]>;
  dgTouchContainer(...args: (string | number)[]): Promise<number>;
  dgWatchdog(...args: (string | number)[]): Promise<number>;
  dgActivity(...args: (string | number)[]): Promise<number>;
  dgOidcPut(...args: (string | number)[]): Promise<number>;
  dgOidcConsume(...args: (string | number)[]): Promise<number>;
  dgOidcDeleteGroup(...args: string[]): Promise<number>;
}

/** Defines the script commands on a connection, once. */
export function defineScripts(redis: RedisClient): RedisClient & ScriptCommands {
  const routes = read('routes');
  // The activity script takes a variable number of keys: its callers pass the count first.
  const defs: [keyof ScriptCommands, string, number | undefined][] = [
    ['dgMapService', `${routes}\n${read('map_service')}`, 6],
    ['dgUnmapService', `${routes}\n${read('unmap_service')}`, 5],
    ['dgRemoveContainer', `${routes}\n${read('remove_container')}`, 6],
    ['dgRevokeContainer', `${routes}\n${read('revoke_container')}`, 7],
    ['dgTouchContainer', read('touch_container'), 3],
    ['dgWatchdog', read('watchdog'), 3],
    ['dgActivity', read('activity'), undefined],
    ['dgOidcPut', read('oidc_put'), undefined],
    ['dgOidcConsume', read('oidc_consume'), 1],
    ['dgOidcDeleteGroup', read('oidc_delete_group'), 1],
  ];
  for (const [name, lua, numberOfKeys] of defs)
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  return redis as RedisClient & ScriptCommands;
}
