/** POST /collab/event: what containers send (service registration, watchdog, activity). */
import type { Context } from 'hono';
import { ErrorCode, forbidden, GatewayError } from '../../shared/errors.ts';
import { hostnamesFor, serviceHostname } from '../../shared/hostnames.ts';
import {
  type AccessLevel,
  activityMillis,
  type ContainerEvent,
  type ContainerIdentity,
  normaliseSystem,
} from '../../shared/protocol.ts';
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import type { Logger } from '../log.ts';
import { eventTypeLabel } from '../metrics/event-intake-metrics.ts';
import type { OidcClients } from '../oidc/clients.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import { type ContainerRegistration, containerRevoked, type Store } from '../store/store.ts';
import type { CollabOutcomes } from './collab-outcomes.ts';
import type { ConnectionInfo, ControlEnv } from './env.ts';
import { parseEventBody } from './event-parse.ts';
import type { LivenessWatch } from './liveness-watch.ts';
import type { OwnListeners } from './own-listeners.ts';

export interface CollabEventDeps {
  store: Store;
  verifier: ContainerTokenVerifier;
  domain: string;
  gatewayId: string;
  livenessTimeoutMs: number;
  now: () => number;
  /**
   * The address the proxy will forward to for this container. Direct mode: the request's source
   * address. VPN mode: the allocated VPN address, after checking the source is that address (403 if not).
   */
  upstreamOf: (identity: ContainerIdentity, connection: ConnectionInfo) => Promise<string>;
  /** Access levels a container may ask for in a map event (ACCESS_LEVELS). */
  accessLevels: ReadonlySet<string>;
  /** Level of a new service whose map event names none. */
  defaultAccess: AccessLevel;
  /** The gateway's own listeners, never a service's upstream (built once at start). */
  ownListeners: OwnListeners;
  /** Refused revoked containers (and registrations onto the gateway's own listeners) are logged here. */
  security: SecurityLog;
  /** Service registered / removed lines. */
  log: Logger;
  /** Told each request's event type and container, for the intake metric and the refusal line. */
  outcomes: CollabOutcomes;
  /** Told each watchdog before it is recorded (container online / offline lines, the online gauge). */
  liveness: Pick<LivenessWatch, 'beat'>;
  /** A hostname's public URL, as a map event's answer names it (default `https://<hostname>/`). */
  publicUrl?: (hostname: string) => string;
  /** The OpenID Connect provider's clients: a map event's `oidc` makes one, an unmap deletes it. */
  oidcClients?: OidcClients;
}

// `Accept: application/json` named outright; curl and the legacy bootstrap send the any-type wildcard.
const asksForJson = (accept: string | undefined) =>
  accept !== undefined && /\bapplication\/json\b/i.test(accept);

/**
 * A map event's answer to a client that asks for JSON: the URLs its service answers on (the primary alias
 * first, when it holds it). Others get the legacy `{}`; the status stays 200 for both.
 */
export interface MapAnswer {
  urls: string[];
}

const httpsUrl = (hostname: string) => `https://${hostname}/`;

/** The event type a body that failed to parse names, if it names one (the metric's label only). */
function typeInBody(text: string): unknown {
  try {
    return (JSON.parse(text) as { event?: { type?: unknown } } | null)?.event?.type;
  } catch {
    return undefined;
  }
}

export function collabEventHandler(deps: CollabEventDeps) {
  const { store, verifier, domain, gatewayId, livenessTimeoutMs, now } = deps;
  const publicUrl = deps.publicUrl ?? httpsUrl;
  return async (c: Context<ControlEnv>) => {
    const identity = await verifier.verify(c.req.header('authorization'));
    deps.outcomes.note(c, { containerId: identity.containerId });
    const text = await c.req.text();
    let body: ReturnType<typeof parseEventBody>;
    try {
      body = parseEventBody(text);
    } catch (err) {
      deps.outcomes.note(c, { type: eventTypeLabel(typeInBody(text)) });
      throw err;
    }
    deps.outcomes.note(c, { type: eventTypeLabel(body.event.type) });
    if (body.project_id !== undefined && body.project_id !== identity.projectId) {
      throw forbidden(ErrorCode.ProjectMismatch, "project_id does not match the container token's project");
    }
    const event = body.event;
    try {
      return await handle(identity, event, c);
    } catch (err) {
      if (err instanceof GatewayError && err.code === ErrorCode.ContainerRevoked)
        deps.security.event(SecurityReason.RevokedContainerRefused, {
          containerId: identity.containerId,
          event: event.type,
          requestId: c.get('requestId'),
        });
      throw err;
    }
  };

  async function handle(identity: ContainerIdentity, event: ContainerEvent, c: Context<ControlEnv>) {
    // Unmap and activity write nothing for a container without a record, as a revoked one is: ask.
    // Map and watchdog are refused by the store, atomically with their writes.
    if (
      (event.type === 'user-container:unmap-http-service' || event.type === 'user-container:activity') &&
      (await store.isRevoked(identity.containerId))
    )
      throw containerRevoked(identity.containerId);
    const upstream = await deps.upstreamOf(identity, c.env).catch(async (err: unknown) => {
      // With the VPN on, a revoked container has lost its address: say why it is refused.
      if (await store.isRevoked(identity.containerId).catch(() => false))
        throw containerRevoked(identity.containerId);
      throw err;
    });
    const parts = { containerId: identity.containerId, orgId: identity.orgId, domain };
    const registration: ContainerRegistration = {
      ...identity,
      upstream,
      gateway: gatewayId,
      alias: serviceHostname(parts),
    };
    switch (event.type) {
      case 'user-container:map-http-service': {
        if (event.access && !deps.accessLevels.has(event.access)) {
          throw forbidden(
            ErrorCode.Forbidden,
            `access level "${event.access}" is not allowed on this gateway (allowed: ${[...deps.accessLevels].join(', ')})`,
          );
        }
        const [hostname] = hostnamesFor(parts, event.name, false);
        // The store refuses, atomically with the write, any service this would route to the gateway itself.
        const ownPorts = deps.ownListeners.portsAt(upstream);
        const changed = await store
          .mapService(
            ownPorts.length > 0 ? { ...registration, ownPorts } : registration,
            {
              name: event.name,
              port: event.port,
              access: event.access,
              defaultAccess: deps.defaultAccess,
              primary: event.primary,
              hostname: hostname as string,
            },
            now(),
          )
          .catch((err: unknown) => {
            if (err instanceof GatewayError && err.code === ErrorCode.OwnListener)
              deps.security.event(SecurityReason.OwnListenerRefused, {
                containerId: identity.containerId,
                upstream,
                port: event.port,
                requestId: c.get('requestId'),
              });
            throw err;
          });
        const owner = {
          containerId: identity.containerId,
          orgId: identity.orgId,
          projectId: identity.projectId,
          service: event.name,
          hostname: hostname as string,
        };
        const clientChanged =
          event.oidc !== undefined && deps.oidcClients !== undefined
            ? await deps.oidcClients.register(owner, event.oidc)
            : false;
        if (clientChanged)
          deps.log.info('oidc client registered', {
            containerId: identity.containerId,
            service: event.name,
            clientId: hostname,
            requestId: c.get('requestId'),
          });
        // A repeat (the legacy 15 s re-registration) changes nothing and says nothing.
        if (changed)
          deps.log.info('service registered', {
            containerId: identity.containerId,
            service: event.name,
            hostname,
            upstream,
            port: event.port,
            access: event.access,
            requestId: c.get('requestId'),
          });
        // The legacy answer is `{}`, byte for byte; a client that asks for JSON gets the URLs.
        if (!asksForJson(c.req.header('accept'))) return c.json({});
        // The store gives the primary alias to a service that asks for it, or to the first one.
        const primary =
          event.primary || (await store.getContainer(identity.containerId))?.primary === event.name;
        const answer: MapAnswer = { urls: hostnamesFor(parts, event.name, primary).map(publicUrl) };
        return c.json(answer);
      }
      case 'user-container:unmap-http-service': {
        if (await store.unmapService(identity.containerId, event.name))
          deps.log.info('service removed', {
            containerId: identity.containerId,
            service: event.name,
            requestId: c.get('requestId'),
          });
        // Its OpenID Connect client goes with it, and everything issued to that client.
        const [hostname] = hostnamesFor(parts, event.name, false);
        if (deps.oidcClients && hostname && (await deps.oidcClients.remove(hostname)) > 0)
          deps.log.info('oidc client removed', {
            containerId: identity.containerId,
            service: event.name,
            requestId: c.get('requestId'),
          });
        break;
      }
      case 'user-container:watchdog': {
        const at = now();
        const undo = deps.liveness.beat(identity.containerId, at, c.get('requestId'));
        await store
          .recordWatchdog(
            registration,
            event.stats ?? normaliseSystem(event.system ?? {}),
            at,
            livenessTimeoutMs,
          )
          .catch((err: unknown) => {
            undo();
            throw err;
          });
        break;
      }
      case 'user-container:activity':
        await store.recordActivity(
          new Map([[identity.containerId, Math.min(activityMillis(event.last_activity), now())]]),
        );
        break;
    }
    return c.json({});
  }
}
