/**
 * OIDC clients, one per container service that asks for one (the map event's `oidc`): no operator, no
 * dynamic registration. The client id is the service's hostname; the secret is never stored: it is derived
 * (HMAC-SHA-256 with SESSION_SECRET, which a pool shares) from the client id and a nonce the store keeps,
 * so a store dump holds no client secret. A client is valid only while its service's route exists and
 * belongs to the same container: the provider asks on every use (fail closed, whatever deletion missed).
 */
import { z } from 'zod';
import type { OidcClientCredentials, OidcClientRequest } from '../../shared/protocol.ts';
import type { Store } from '../store/store.ts';
import { clientGroup, containerGroup } from './adapter.ts';

/** Scopes a gateway client may ask for; `groups` carries the user's org and project grants (of its own org and project). */
export const CLIENT_SCOPES = ['openid', 'profile', 'groups'] as const;

const ClientRecord = z.object({
  containerId: z.string(),
  orgId: z.string(),
  projectId: z.string(),
  service: z.string(),
  hostname: z.string(),
  paths: z.array(z.string()),
  method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
  /** The client's public keys (private_key_jwt). */
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  nonce: z.string(),
});
type ClientRecord = z.infer<typeof ClientRecord>;

/** Where a client's record lives: kind `Client` of the provider's records, never touched by the provider. */
const KIND = 'Client';

export interface ClientOwner {
  containerId: string;
  orgId: string;
  projectId: string;
  service: string;
  /** The service's own hostname: the client id. */
  hostname: string;
}

export interface OidcClientsOptions {
  store: Store;
  /** SESSION_SECRET's bytes: the secrets' HMAC key. */
  secretKey: Uint8Array;
  issuer: string;
  /** `http(s)://<hostname>[:port]`: a hostname's origin as browsers reach it. */
  originOf: (hostname: string) => string;
}

export class OidcClients {
  readonly #store: Store;
  readonly #issuer: string;
  readonly #originOf: (hostname: string) => string;
  readonly #hmacKey: Promise<CryptoKey>;
  /** client id -> container id: fixed for a client's life (its hostname names the container). */
  readonly #containers = new Map<string, string>();

  constructor(options: OidcClientsOptions) {
    this.#store = options.store;
    this.#issuer = options.issuer;
    this.#originOf = options.originOf;
    this.#hmacKey = crypto.subtle.importKey(
      'raw',
      options.secretKey as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  }

  /** Makes or updates the client of a service; keeps its secret (nonce) when it exists. True when written. */
  async register(owner: ClientOwner, request: OidcClientRequest): Promise<boolean> {
    const existing = await this.#record(owner.hostname);
    const record: ClientRecord = {
      ...owner,
      paths: [...new Set(request.redirect_paths)],
      method: request.token_endpoint_auth_method ?? 'client_secret_basic',
      ...(request.jwks ? { jwks: request.jwks } : {}),
      nonce: existing?.containerId === owner.containerId ? existing.nonce : randomNonce(),
    };
    if (existing && JSON.stringify(existing) === JSON.stringify(record)) return false;
    await this.#store.oidc.put(KIND, owner.hostname, JSON.stringify(record), {
      groups: [clientGroup(owner.hostname), containerGroup(owner.containerId)],
    });
    return true;
  }

  /** What the container fetches over its own channel: id, secret, issuer, redirect URIs. */
  async credentials(containerId: string, service: string, hostname: string) {
    const record = await this.#record(hostname);
    if (!record || record.containerId !== containerId || record.service !== service) return null;
    const answer: OidcClientCredentials = {
      issuer: this.#issuer,
      client_id: record.hostname,
      token_endpoint_auth_method: record.method,
      redirect_uris: await this.#redirectUris(record),
    };
    if (hasSecret(record)) answer.client_secret = await this.#secret(record);
    return answer;
  }

  /** The container a client id belongs to (cached), for the adapter's groups. */
  async containerOf(clientId: string): Promise<string | undefined> {
    const hit = this.#containers.get(clientId);
    if (hit !== undefined) return hit;
    const record = await this.#record(clientId);
    if (!record) return undefined;
    if (this.#containers.size >= 100_000) this.#containers.clear();
    this.#containers.set(clientId, record.containerId);
    return record.containerId;
  }

  /** The provider's client metadata, or undefined unless the client's service still routes to its container. */
  async metadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    const record = await this.#record(clientId);
    if (!record || !(await this.#routes(record, record.hostname))) return undefined;
    const metadata: Record<string, unknown> = {
      client_id: record.hostname,
      redirect_uris: await this.#redirectUris(record),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: record.method,
      id_token_signed_response_alg: 'ES256',
      scope: CLIENT_SCOPES.join(' '),
      org_id: record.orgId,
      project_id: record.projectId,
    };
    if (hasSecret(record)) metadata.client_secret = await this.#secret(record);
    if (record.jwks) metadata.jwks = record.jwks;
    return metadata;
  }

  /** The service this client belongs to, as the policy needs it (undefined: gone). */
  async owner(clientId: string): Promise<ClientOwner | undefined> {
    const record = await this.#record(clientId);
    return record && (await this.#routes(record, record.hostname)) ? record : undefined;
  }

  /** Deletes a service's client and everything issued to it. */
  async remove(hostname: string): Promise<number> {
    return this.#store.oidc.deleteGroup(clientGroup(hostname));
  }

  /** Deletes every client of a container and everything issued to them (revocation). */
  async removeContainer(containerId: string): Promise<number> {
    return this.#store.oidc.deleteGroup(containerGroup(containerId));
  }

  async #record(clientId: string): Promise<ClientRecord | undefined> {
    if (clientId.length > 253) return undefined;
    const found = await this.#store.oidc.get(KIND, clientId);
    if (!found) return undefined;
    const parsed = ClientRecord.safeParse(JSON.parse(found.payload));
    return parsed.success ? parsed.data : undefined;
  }

  async #routes(record: ClientRecord, hostname: string): Promise<boolean> {
    const route = await this.#store.resolve(hostname, record.containerId);
    return route?.containerId === record.containerId && route.service === record.service;
  }

  /** Exact URIs on the service's own hostname, and on the container's alias while the service holds it. */
  async #redirectUris(record: ClientRecord): Promise<string[]> {
    const container = await this.#store.getContainer(record.containerId);
    const hosts = [record.hostname];
    if (container?.primary === record.service && container.alias) hosts.push(container.alias);
    return hosts.flatMap((host) => record.paths.map((path) => `${this.#originOf(host)}${path}`));
  }

  async #secret(record: ClientRecord): Promise<string> {
    const message = new TextEncoder().encode(`dg-oidc-client\n${record.hostname}\n${record.nonce}`);
    const mac = await crypto.subtle.sign('HMAC', await this.#hmacKey, message);
    return Buffer.from(mac).toString('base64url');
  }
}

/** Clients that authenticate with a shared secret (not `none`, not `private_key_jwt`). */
const hasSecret = (record: ClientRecord) =>
  record.method === 'client_secret_basic' || record.method === 'client_secret_post';

const randomNonce = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
