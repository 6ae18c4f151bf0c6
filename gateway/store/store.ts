/**
 * The store: containers, their services and hostnames (the route table), liveness, stats and activity,
 * and a change feed. Two implementations (memory, Redis) pass one contract suite (test/store/).
 */
import { ErrorCode, forbidden, GatewayError } from '../../shared/errors.ts';
import type { AccessLevel, ContainerIdentity, SystemStats } from '../../shared/protocol.ts';

export interface ContainerRecord extends ContainerIdentity {
  /** Address the proxy forwards to: the event's source address (direct mode) or the VPN address. */
  upstream: string;
  /** Id of the gateway that registered it. */
  gateway: string;
  /** The primary alias hostname `uc-<c>.org-<o>.<domain>`. */
  alias: string;
  /** Name of the primary service, or '' when it has none. */
  primary: string;
  createdAt: number;
}

export interface ServiceRecord {
  name: string;
  port: number;
  access: AccessLevel;
  /** The service's own hostname `uc-<c>--<s>.org-<o>.<domain>`. */
  hostname: string;
  createdAt: number;
}

/** One row of the route table: what the proxy needs to forward a hostname. */
export interface Route {
  hostname: string;
  containerId: string;
  orgId: string;
  projectId: string;
  service: string;
  upstream: string;
  port: number;
  access: AccessLevel;
  /** The container's owner (user id), '' when the platform did not name one. */
  ownerId: string;
}

/** A route and its container's last watchdog, as the proxy resolves a Host. */
export interface ResolvedRoute extends Route {
  lastWatchdog: number | null;
}

export interface Health {
  containerId: string;
  lastWatchdog: number | null;
  lastActivity: number | null;
  stats: SystemStats | null;
}

export interface StatsSample {
  at: number;
  stats: SystemStats;
}

/** What the change feed carries. `routes` messages carry a version bumped by exactly one each. */
export type StoreChange =
  | { kind: 'routes'; version: number; containerId: string; hostnames: string[] }
  | { kind: 'liveness'; containerId: string; lastWatchdog: number }
  /** A container was revoked: every gateway cuts its VPN client and refreshes its CRL. */
  | { kind: 'revoked'; containerId: string }
  /** A container's tunnel moved to `gatewayId`, or left the pool (null): pool/pool-state.ts. */
  | { kind: 'location'; containerId: string; gatewayId: string | null; epoch: number }
  /** A gateway joined, changed (draining) or left the pool. */
  | { kind: 'pool'; gatewayId: string }
  /** The feed may have missed messages (a reconnect): reconcile caches with the store. */
  | { kind: 'resync' };

export interface ContainerRegistration extends ContainerIdentity {
  upstream: string;
  gateway: string;
  alias: string;
  /**
   * Ports at `upstream` where the gateway itself listens. mapService refuses (GW_ERR_OWN_LISTENER),
   * atomically with its write, a mapping that would route any service of the container to one of them:
   * the new service, or one already registered that a changed upstream would move there.
   */
  ownPorts?: readonly number[];
}

export interface ServiceMapping {
  name: string;
  port: number;
  /** Absent: keep the current level, or `defaultAccess` for a new service. */
  access?: AccessLevel;
  /** The level of a new service that names none (DEFAULT_ACCESS; `project` unless configured). */
  defaultAccess?: AccessLevel;
  /** True: this service takes the primary alias. The first service is primary anyway. */
  primary?: boolean;
  hostname: string;
}

/** What `revokeContainer` found and did. */
export interface Revocation {
  /** `unknown`: no record and never revoked, with `onlyIfKnown` asked: nothing was written. */
  status: 'revoked' | 'already-revoked' | 'unknown';
  /** Whether a container record (with its routes, health and history) was removed. */
  removed: boolean;
}

/** A revoked container's event, refused (403) by the write it would have made. */
export const containerRevoked = (containerId: string): GatewayError =>
  forbidden(ErrorCode.ContainerRevoked, `container ${containerId} is revoked`);

/** A mapping that would route a service to one of the gateway's own listeners (403). */
export const ownListenerRefused = (port: number): GatewayError =>
  forbidden(
    ErrorCode.OwnListener,
    `port ${port} at this container's address is one of the gateway's own listeners: not a service`,
  );

/** Why the store failed a command (a bounded set: a metrics label and a log field). */
export type StoreFailureReason = 'timeout' | 'disconnected' | 'refused' | 'auth' | 'server_error';
export const STORE_FAILURE_REASONS: readonly StoreFailureReason[] = [
  'timeout',
  'disconnected',
  'refused',
  'auth',
  'server_error',
];

/** Seconds a client is asked to wait (`Retry-After`) when the store cannot answer. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** The store did not answer within its deadline, or could not be reached (503 GW_ERR_STORE_UNAVAILABLE). */
export class StoreUnavailableError extends GatewayError {
  constructor(readonly reason: StoreFailureReason) {
    super(
      ErrorCode.StoreUnavailable,
      reason === 'auth'
        ? 'the store refused the credentials (REDIS_PASSWORD, REDIS_USERNAME or the password in REDIS_URL)'
        : 'the store failed to answer',
      503,
    );
  }
}

/** Told the outcome of every store command, so that store health follows what callers see. */
export interface StoreObserver {
  /** A command answered after `ms`; without `ms`: the connection (re)opened. */
  succeeded(ms?: number): void;
  /** A command failed after `ms`; without `ms`: the connection closed or could not be opened. */
  failed(reason: StoreFailureReason, ms?: number): void;
}

export interface Store {
  /**
   * Registers a service (and its container, on first sight), atomically with its hostnames.
   * Idempotent: a repeat changes nothing and publishes nothing. A changed port or upstream updates in place.
   * Throws GW_ERR_HOSTNAME_CONFLICT when a hostname belongs to another container or service,
   * GW_ERR_CONTAINER_REVOKED for a revoked container and GW_ERR_OWN_LISTENER (see `ownPorts`), each
   * checked atomically with the write.
   * Returns whether anything changed.
   */
  mapService(container: ContainerRegistration, service: ServiceMapping, now: number): Promise<boolean>;
  /** Removes a service and its hostnames; the primary alias moves to the oldest remaining service. */
  unmapService(containerId: string, name: string): Promise<boolean>;
  /** Removes a container, its services, hostnames, health and history. */
  removeContainer(containerId: string): Promise<boolean>;
  /**
   * Revokes a container for good: marks it and removes it as removeContainer does, in one atomic step,
   * then publishes `revoked`. From then on mapService and recordWatchdog refuse it. With `onlyIfKnown`,
   * an id without a record that was never revoked is left alone (`unknown`).
   */
  revokeContainer(containerId: string, options?: { onlyIfKnown?: boolean }): Promise<Revocation>;
  isRevoked(containerId: string): Promise<boolean>;

  getContainer(containerId: string): Promise<ContainerRecord | null>;
  listContainers(): Promise<ContainerRecord[]>;
  listServices(containerId: string): Promise<ServiceRecord[]>;
  /**
   * The route of a hostname with its container's last watchdog. `containerHint` is a guess of the
   * container (the one the hostname belonged to before a change): a store may then read both at once.
   */
  resolve(hostname: string, containerHint?: string): Promise<ResolvedRoute | null>;
  listRoutes(): Promise<Route[]>;
  routesVersion(): Promise<number>;

  /**
   * Records a watchdog: latest stats, one-hour history, last beat. Creates the container record when
   * absent (without routes). Publishes a `liveness` change when the container was offline before.
   * Throws GW_ERR_CONTAINER_REVOKED for a revoked container, writing nothing.
   */
  recordWatchdog(
    container: ContainerRegistration,
    stats: SystemStats,
    now: number,
    livenessTimeoutMs: number,
  ): Promise<void>;
  /** Activity times (epoch ms) by container; a time never moves backwards. */
  recordActivity(times: ReadonlyMap<string, number>): Promise<void>;
  health(containerId: string): Promise<Health>;
  statsHistory(containerId: string): Promise<StatsSample[]>;

  /** Stores a one-time sign-in code (opaque value) for `ttlMs`. */
  putAuthCode(code: string, value: string, ttlMs: number): Promise<void>;
  /** Returns and deletes a code's value, atomically: a second redeem gets null (single use). */
  takeAuthCode(code: string): Promise<string | null>;

  /**
   * The OIDC provider's records (`gateway/oidc/`): opaque payloads by kind and id, with a TTL, so every
   * gateway of a pool sees the same codes, grants, sessions and tokens. See `OidcRecords`.
   */
  readonly oidc: OidcRecords;

  /** Subscribes to the change feed; resolves once the subscription is live. */
  subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** An OIDC provider record as stored: its payload and, once consumed (a redeemed code), when. */
export interface OidcRecord {
  payload: string;
  consumedAt?: number;
}

export interface OidcRecordOptions {
  /** Lifetime; absent or 0: none (a client, kept until its group is deleted). */
  ttlMs?: number;
  /** Groups the record joins (`grant:<id>`, `client:<id>`): deleteGroup removes every member at once. */
  groups?: readonly string[];
  /** A second id the record is found by (a session's uid). */
  uid?: string;
}

/** Records of the OIDC provider (kinds: `AuthorizationCode`, `Session`, `Grant`, ...), shared by a pool. */
export interface OidcRecords {
  /** Writes (replaces) a record: a replaced record is no longer consumed. */
  put(kind: string, id: string, payload: string, options: OidcRecordOptions): Promise<void>;
  get(kind: string, id: string): Promise<OidcRecord | null>;
  findByUid(kind: string, uid: string): Promise<(OidcRecord & { id: string }) | null>;
  /** Marks a record consumed, atomically: true only for the first call on a live record (single use). */
  consume(kind: string, id: string, at: number): Promise<boolean>;
  delete(kind: string, id: string): Promise<void>;
  /** Deletes every record of a group (a grant's codes and tokens, a client and all it was given). */
  deleteGroup(group: string): Promise<number>;
}

/** Stats history horizon and hard cap (one hour of 15 s beats is 240; the cap bounds a chatty client). */
export const HISTORY_MS = 60 * 60 * 1000;
export const HISTORY_MAX = 400;
