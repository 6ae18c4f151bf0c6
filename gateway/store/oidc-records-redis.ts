/** The OIDC provider's records in Redis: every key under the hash tag {oidc} (redis/README.md). */
import type { RedisClient } from './redis-clients.ts';
import { RedisKeys as K } from './redis-keys.ts';
import type { ScriptCommands } from './redis-scripts.ts';
import type { OidcRecord, OidcRecordOptions, OidcRecords } from './store.ts';

type Run = <T>(send: (redis: RedisClient & ScriptCommands) => Promise<T>) => Promise<T>;

const toRecord = ([payload, consumed]: (string | null)[]): OidcRecord | null => {
  if (payload === null || payload === undefined) return null;
  return consumed ? { payload, consumedAt: Number(consumed) } : { payload };
};

export class RedisOidcRecords implements OidcRecords {
  constructor(private readonly run: Run) {}

  async put(kind: string, id: string, payload: string, options: OidcRecordOptions): Promise<void> {
    const keys = [
      K.oidcRecord(kind, id),
      ...(options.uid !== undefined ? [K.oidcUid(kind, options.uid)] : []),
      ...(options.groups ?? []).map(K.oidcGroup),
    ];
    const hasUid = options.uid !== undefined ? '1' : '0';
    await this.run((r) =>
      r.dgOidcPut(keys.length, ...keys, payload, Math.max(0, Math.round(options.ttlMs ?? 0)), hasUid, id),
    );
  }

  async get(kind: string, id: string): Promise<OidcRecord | null> {
    return toRecord(await this.run((r) => r.hmget(K.oidcRecord(kind, id), 'p', 'c')));
  }

  async findByUid(kind: string, uid: string): Promise<(OidcRecord & { id: string }) | null> {
    const id = await this.run((r) => r.get(K.oidcUid(kind, uid)));
    if (id === null) return null;
    const record = await this.get(kind, id);
    return record && { ...record, id };
  }

  async consume(kind: string, id: string, at: number): Promise<boolean> {
    return (await this.run((r) => r.dgOidcConsume(K.oidcRecord(kind, id), at))) === 1;
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.run((r) => r.del(K.oidcRecord(kind, id)));
  }

  async deleteGroup(group: string): Promise<number> {
    return this.run((r) => r.dgOidcDeleteGroup(K.oidcGroup(group)));
  }
}
