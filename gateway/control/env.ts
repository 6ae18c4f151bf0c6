/** What each runtime adapter passes to the Hono apps along with the Request. */
import type { ConnectionInfo } from '../connection-info.ts';

// The connection's shape lives below the apps (the VPN reads it too); re-exported for the apps and adapters.
export { type ConnectionInfo, plainAddress } from '../connection-info.ts';

/** Per-request values the control app's middleware sets. */
export interface ControlVariables {
  /** The request's id (a trusted peer's `X-Request-Id`, else generated): in every log line about it. */
  requestId: string;
}

export type ControlEnv = { Bindings: ConnectionInfo; Variables: ControlVariables };
