/** The OIDC provider's records in the embedded store: maps with expiry times, swept as they are written. */
import type { OidcRecord, OidcRecordOptions, OidcRecords } from './store.ts';

interface Entry {
  payload: string;
  consumedAt?: number;
  /** Epoch ms; Infinity for none. */
  expiresAt: number;
}

/** How often writes sweep expired entries (reads check expiry themselves). */
const SWEEP_EVERY_MS = 1_000;

export class MemoryOidcRecords implements OidcRecords {
  readonly #records = new Map<string, Entry>();
  /** `<kind>:<uid>` -> record key. */
  readonly #uids = new Map<string, { key: string; expiresAt: number }>();
  /** group -> record keys. */
  readonly #groups = new Map<string, Set<string>>();
  #sweptAt = 0;

  async put(kind: string, id: string, payload: string, options: OidcRecordOptions): Promise<void> {
    const now = Date.now();
    this.#sweep(now);
    const key = `${kind}:${id}`;
    const expiresAt = options.ttlMs ? now + options.ttlMs : Number.POSITIVE_INFINITY;
    this.#records.set(key, { payload, expiresAt });
    if (options.uid !== undefined) this.#uids.set(`${kind}:${options.uid}`, { key, expiresAt });
    for (const group of options.groups ?? []) {
      const members = this.#groups.get(group) ?? new Set<string>();
      this.#groups.set(group, members);
      members.add(key);
    }
  }

  async get(kind: string, id: string): Promise<OidcRecord | null> {
    return this.#live(`${kind}:${id}`);
  }

  async findByUid(kind: string, uid: string): Promise<(OidcRecord & { id: string }) | null> {
    const ref = this.#uids.get(`${kind}:${uid}`);
    if (!ref || ref.expiresAt <= Date.now()) return null;
    const record = this.#live(ref.key);
    return record && { ...record, id: ref.key.slice(kind.length + 1) };
  }

  async consume(kind: string, id: string, at: number): Promise<boolean> {
    const key = `${kind}:${id}`;
    const entry = this.#live(key) && this.#records.get(key);
    if (!entry || entry.consumedAt !== undefined) return false;
    entry.consumedAt = at;
    return true;
  }

  async delete(kind: string, id: string): Promise<void> {
    this.#records.delete(`${kind}:${id}`);
  }

  async deleteGroup(group: string): Promise<number> {
    const members = this.#groups.get(group);
    this.#groups.delete(group);
    let deleted = 0;
    for (const key of members ?? []) if (this.#records.delete(key)) deleted += 1;
    return deleted;
  }

  #live(key: string): OidcRecord | null {
    const entry = this.#records.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#records.delete(key);
      return null;
    }
    return entry.consumedAt === undefined
      ? { payload: entry.payload }
      : { payload: entry.payload, consumedAt: entry.consumedAt };
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const [key, entry] of this.#records) if (entry.expiresAt <= now) this.#records.delete(key);
    for (const [key, ref] of this.#uids) if (ref.expiresAt <= now) this.#uids.delete(key);
    for (const [group, members] of this.#groups) {
      for (const key of members) if (!this.#records.has(key)) members.delete(key);
      if (members.size === 0) this.#groups.delete(group);
    }
  }
}
