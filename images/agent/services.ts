/** The services a container serves: parsing `--service` specs and keeping their registrations fresh. */
import {
  AccessLevel,
  DEFAULT_ACCESS,
  type EventBody,
  type OidcClientRequest,
  ServiceName,
} from '../../shared/protocol.ts';
import { EventPostError } from './event-failure.ts';
import type { PostOptions } from './gateway-client.ts';
import type { Log } from './log.ts';
import { errorMessage } from './log.ts';
import { createRefreshLoop, outcomeOf, type Round, type RoundOutcome, worstOf } from './refresh-loop.ts';

export interface ServiceSpec {
  name: string;
  port: number;
  primary: boolean;
  access: AccessLevel;
}

/** Registration refresh period, as the legacy client (the gateway's liveness allows three missed beats). */
export const SERVICE_REFRESH_MS = 15_000;

/** Parses `name:port[:primary][:access]`; returns an error message for a bad spec. */
export function parseServiceSpec(spec: string): ServiceSpec | string {
  const [name = '', port = '', ...flags] = spec.split(':');
  if (!ServiceName.safeParse(name).success) return `service "${spec}": "${name}" is not a service name`;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    return `service "${spec}": "${port}" is not a port (1..65535)`;
  const result: ServiceSpec = { name, port: Number(port), primary: false, access: DEFAULT_ACCESS };
  for (const flag of flags) {
    const access = AccessLevel.safeParse(flag);
    if (flag === 'primary') result.primary = true;
    else if (access.success) result.access = access.data;
    else return `service "${spec}": "${flag}" is neither "primary" nor an access level`;
  }
  return result;
}

/** The map event for one service. */
export function mapEvent(service: ServiceSpec, projectId: string): EventBody {
  return {
    event: {
      type: 'user-container:map-http-service',
      name: service.name,
      port: service.port,
      primary: service.primary,
      access: service.access,
    },
    project_id: projectId,
  };
}

/** The map event as the legacy client sends it: name and port only, so the gateway's defaults apply. */
export function legacyMapEvent(service: Pick<ServiceSpec, 'name' | 'port'>, projectId: string): EventBody {
  return {
    event: { type: 'user-container:map-http-service', name: service.name, port: service.port },
    project_id: projectId,
  };
}

/** The legacy map event plus the service's request for an OpenID Connect client. */
export function oidcMapEvent(
  service: Pick<ServiceSpec, 'name' | 'port'>,
  projectId: string,
  oidc: OidcClientRequest,
): EventBody {
  const body = legacyMapEvent(service, projectId);
  return { ...body, event: { ...body.event, oidc } as EventBody['event'] };
}

export interface ServiceRegistrar {
  /** Registers every service now and restarts the refresh schedule (call on every tunnel up). */
  registerNow(): Promise<void>;
  /** Stops refreshing (tunnel down, or shutting down). */
  pause(): void;
}

export interface RegistrarDeps {
  services: readonly ServiceSpec[];
  projectId: string;
  post(body: EventBody, options?: PostOptions): Promise<void>;
  log: Log;
  intervalMs?: number;
}

/**
 * Keeps the services registered while the tunnel is up; the gateway treats repeats as idempotent, so a
 * retry posts every service again. A failure that can pass is retried soon (see refresh-loop.ts).
 */
export function createServiceRegistrar(deps: RegistrarDeps): ServiceRegistrar {
  const registerAll = async ({ freshConnection }: Round): Promise<RoundOutcome> =>
    worstOf(
      await Promise.all(
        deps.services.map(async (service): Promise<RoundOutcome> => {
          try {
            await deps.post(mapEvent(service, deps.projectId), { freshConnection });
            return 'ok';
          } catch (error) {
            deps.log('warn', 'service registration failed', {
              service: service.name,
              error: errorMessage(error),
              ...(error instanceof EventPostError ? { failure: error.kind } : {}),
            });
            return outcomeOf(error);
          }
        }),
      ),
    );
  const loop = createRefreshLoop(registerAll, {
    task: 'service registration',
    intervalMs: deps.intervalMs ?? SERVICE_REFRESH_MS,
    log: deps.log,
  });
  return { registerNow: () => loop.runNow(), pause: () => loop.stop() };
}
