/**
 * oidc-provider's storage adapter over the gateway's store (`Store.oidc`), so every gateway of a pool sees
 * the same codes, sessions, grants and tokens. Ids are stored as their SHA-256: a code or token never
 * appears in a store key. Records join the groups deletion goes by: codes and tokens their grant's (a
 * replayed code revokes everything the grant gave), every record naming a client that client's and its
 * container's (unmap, revocation, retention).
 */
import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import type { OidcClients } from './clients.ts';

/** The stored form of a provider id (codes and opaque tokens are their own ids). */
export const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

/** The provider's models that a grant issues (revokeByGrantId deletes them). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export const grantGroup = (grantId: string) => `grant:${hashId(grantId)}`;
export const clientGroup = (clientId: string) => `client:${clientId}`;
export const containerGroup = (containerId: string) => `container:${containerId}`;

/**
 * `invalidGrant` makes oidc-provider's InvalidGrant error (passed in: the library is loaded lazily, by
 * provider.ts).
 */
export function storeAdapter(
  store: Store,
  clients: OidcClients,
  invalidGrant: () => Error,
): new (
  name: string,
) => Adapter {
  return class StoreAdapter implements Adapter {
    constructor(private readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const groups: string[] = [];
      // Only what a grant issued goes with it (the provider destroys the Grant itself): an interaction or a
      // session that names a grant must outlive its revocation (a user switch ends the old session's grants).
      if (GRANTABLE.has(this.name) && typeof payload.grantId === 'string')
        groups.push(grantGroup(payload.grantId));
      if (typeof payload.clientId === 'string') {
        groups.push(clientGroup(payload.clientId));
        const containerId = await clients.containerOf(payload.clientId);
        if (containerId !== undefined) groups.push(containerGroup(containerId));
      }
      await store.oidc.put(this.name, hashId(id), JSON.stringify(payload), {
        ttlMs: expiresIn > 0 ? expiresIn * 1000 : undefined,
        groups,
        uid: typeof payload.uid === 'string' ? payload.uid : undefined,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Clients are not provider records: they follow the route table (clients.ts).
      if (this.name === 'Client') return clients.metadata(id);
      return parse(await store.oidc.get(this.name, hashId(id)));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return parse(await store.oidc.findByUid(this.name, uid));
    }

    async findByUserCode(): Promise<AdapterPayload | undefined> {
      return undefined; // the device flow is off
    }

    async consume(id: string): Promise<void> {
      if (await store.oidc.consume(this.name, hashId(id), Math.floor(Date.now() / 1000))) return;
      // Lost a race with another redemption (on this gateway or another): treated as a replay.
      const grantId = parse(await store.oidc.get(this.name, hashId(id)))?.grantId;
      if (typeof grantId === 'string') await store.oidc.deleteGroup(grantGroup(grantId));
      throw invalidGrant();
    }

    async destroy(id: string): Promise<void> {
      await store.oidc.delete(this.name, hashId(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidc.deleteGroup(grantGroup(grantId));
    }
  };
}

function parse(record: { payload: string; consumedAt?: number } | null): AdapterPayload | undefined {
  if (!record) return undefined;
  const payload = JSON.parse(record.payload) as AdapterPayload;
  return record.consumedAt === undefined ? payload : { ...payload, consumed: record.consumedAt };
}
