/**
 * The container protocol, once: zod schemas shared by the gateway and the agent.
 * Wire types are `z.infer` of these schemas; nothing else defines them.
 */
import { z } from 'zod';
import { SERVICE_NAME, SERVICE_NAME_MAX } from './hostnames.ts';
import { normaliseSystem, SystemStats } from './system-stats.ts';

export { normaliseSystem, SystemStats };

/** A container id as container tokens carry it (`user_container_id`); the admin API takes the same. */
export const ContainerId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/, 'a container id: letters, digits, "_" or "-", at most 60');
const Uuidish = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'an id: letters, digits or "-", at most 63');
/** A project id (`project_id` of a container token). */
export const ProjectId = Uuidish;
/** An organisation id (the `org:<id>:connect-vpn` scope of a container token). */
export const OrgId = Uuidish;

/** The `SETTINGS` env var (base64 JSON). Extra fields are ignored. */
export const Settings = z.object({
  user_id: z.string().min(1),
  frontend_fqdn: z.string().min(1),
  ganymede_fqdn: z.string().min(1),
  gateway_fqdn: z.string().regex(/^[A-Za-z0-9.-]+(?::\d{1,5})?$/, 'a host name, optionally with :port'),
  token: z.string().min(1),
  project_id: Uuidish,
  user_container_id: ContainerId,
  vpn_secret: z.string().optional(),
});
export type Settings = z.infer<typeof Settings>;

/** Claims of the container ("hosting") token, signed by the platform. The org id lives only in `scope`. */
export const ContainerTokenClaims = z.object({
  type: z.literal('user_container_token'),
  user_container_id: ContainerId,
  project_id: Uuidish,
  scope: z.string().max(2000),
  /** The user who started the container (newer platforms): the owner for `owner`-level services. */
  user_id: z.string().max(100).optional(),
  iat: z.number().optional(),
  exp: z.number().optional(),
});
export type ContainerTokenClaims = z.infer<typeof ContainerTokenClaims>;

/** Who a container is, as its verified token says. */
export interface ContainerIdentity {
  containerId: string;
  projectId: string;
  orgId: string;
  /** The owner's user id when the token names one. */
  ownerId?: string;
}

const ORG_SCOPE = /(?:^|\s)org:([A-Za-z0-9][A-Za-z0-9-]{0,62}):connect-vpn(?:\s|$)/;

/** The identity in a container token's claims, or undefined when the scope names no organisation. */
export function identityFromClaims(claims: ContainerTokenClaims): ContainerIdentity | undefined {
  const org = ORG_SCOPE.exec(claims.scope)?.[1];
  if (!org) return undefined;
  return {
    containerId: claims.user_container_id,
    projectId: claims.project_id,
    orgId: org,
    ...(claims.user_id ? { ownerId: claims.user_id } : {}),
  };
}

/**
 * Claims of the platform's user token (browser sign-in), verified with the same keys as container tokens.
 * `scope` holds space-separated grants: `org:<oid>:member`, `org:<oid>:admin`, `project:<pid>:member`,
 * `project:<pid>:admin`.
 */
export const UserTokenClaims = z.object({
  user: z.object({ id: z.string().min(1).max(100), username: z.string().min(1).max(200) }),
  scope: z.union([z.string().max(8000), z.array(z.string().max(200)).max(500)]),
  exp: z.number().optional(),
  iat: z.number().optional(),
});
export type UserTokenClaims = z.infer<typeof UserTokenClaims>;

export const AccessLevel = z.enum(['public', 'org', 'project', 'owner']);
export type AccessLevel = z.infer<typeof AccessLevel>;
/** The access level of a service that names none, unless the gateway is configured otherwise. */
export const DEFAULT_ACCESS: AccessLevel = 'project';

/** The same rule the hostname builder applies (`isServiceName`): every accepted name makes a routable hostname. */
export const ServiceName = z
  .string()
  .max(SERVICE_NAME_MAX, `a service name of at most ${SERVICE_NAME_MAX} characters`)
  .regex(
    SERVICE_NAME,
    'a service name: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

/** A path on the service's own hostname: no scheme, host, query or fragment. */
const RedirectPath = z
  .string()
  .max(512)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/, 'a path such as /oauth2/authorize (no query, no fragment)')
  .refine((p) => !p.startsWith('//') && !p.split('/').includes('..'), 'a plain absolute path');

/** Members of a JWK that only a private key has: a client's key set must hold public keys only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const PublicJwk = z
  .object({ kty: z.enum(['EC', 'RSA', 'OKP']) })
  .catchall(z.unknown())
  .refine((jwk) => !PRIVATE_JWK_MEMBERS.some((m) => m in jwk), 'public keys only');

/**
 * A service that asks to be an OpenID Connect client of the gateway (issue 19): the provider sends
 * browsers back only to these paths on the service's own hostname (and its primary alias while it is
 * primary), compared exactly. `none`: a public client, PKCE required. `private_key_jwt`: the client signs
 * its token requests with a key whose public half it gives in `jwks`.
 */
export const OidcClientRequest = z
  .object({
    redirect_paths: z.array(RedirectPath).min(1).max(8),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])
      .optional(),
    jwks: z.object({ keys: z.array(PublicJwk).min(1).max(4) }).optional(),
  })
  .refine(
    (r) => (r.token_endpoint_auth_method === 'private_key_jwt') === (r.jwks !== undefined),
    'jwks: given exactly when token_endpoint_auth_method is private_key_jwt',
  );
export type OidcClientRequest = z.infer<typeof OidcClientRequest>;

export const MapHttpService = z.object({
  type: z.literal('user-container:map-http-service'),
  name: ServiceName,
  port: z.number().int().min(1).max(65535),
  access: AccessLevel.optional(),
  primary: z.boolean().optional(),
  /** Absent: no client is made (a client made before stays until the service is unmapped). */
  oidc: OidcClientRequest.optional(),
});
export const UnmapHttpService = z.object({
  type: z.literal('user-container:unmap-http-service'),
  name: ServiceName,
});
/** Legacy clients send `system` (loosely typed strings); the agent sends typed `stats`. */
export const Watchdog = z.object({
  type: z.literal('user-container:watchdog'),
  system: z.record(z.string(), z.unknown()).optional(),
  stats: SystemStats.optional(),
});
export const Activity = z.object({
  type: z.literal('user-container:activity'),
  last_activity: z.union([z.number().nonnegative(), z.iso.datetime({ offset: true })]),
});

export const ContainerEvent = z.discriminatedUnion('type', [
  MapHttpService,
  UnmapHttpService,
  Watchdog,
  Activity,
]);
export type ContainerEvent = z.infer<typeof ContainerEvent>;
export const EVENT_TYPES: ReadonlySet<string> = new Set(
  ContainerEvent.options.map((o) => o.shape.type.value),
);

export const EventBody = z.object({
  event: ContainerEvent,
  project_id: Uuidish.optional(),
});
export type EventBody = z.infer<typeof EventBody>;

/** GET /collab/oidc-client: a service's client at the gateway's OpenID Connect provider. */
export const OidcClientCredentials = z.object({
  issuer: z.string(),
  client_id: z.string(),
  /** Absent for a public client (`none`). */
  client_secret: z.string().optional(),
  token_endpoint_auth_method: z.string(),
  redirect_uris: z.array(z.string()),
});
export type OidcClientCredentials = z.infer<typeof OidcClientCredentials>;

/** Every error on the wire. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The legacy `GET /collab/vpn-config` answer: exactly these four file names and a config template. */
export const LegacyVpnConfig = z.object({
  certificates: z.object({
    'ca.crt': z.string(),
    'clients.crt': z.string(),
    'clients.key': z.string(),
    'ta.key': z.string(),
  }),
  config: z.string(),
});
export type LegacyVpnConfig = z.infer<typeof LegacyVpnConfig>;

/** Epoch milliseconds of an activity event's `last_activity` (seconds below 1e12 are taken as seconds). */
export function activityMillis(value: number | string): number {
  if (typeof value === 'string') return Date.parse(value);
  return value < 1e12 ? Math.round(value * 1000) : Math.round(value);
}
