/** Stable error codes: callers, logs, metrics and error pages switch on these, never on message text. */
export const ErrorCode = {
  BadRequest: 'GW_ERR_BAD_REQUEST',
  BadJson: 'GW_ERR_BAD_JSON',
  BadEvent: 'GW_ERR_BAD_EVENT',
  BodyTooLarge: 'GW_ERR_BODY_TOO_LARGE',
  Unauthorized: 'GW_ERR_UNAUTHORIZED',
  Forbidden: 'GW_ERR_FORBIDDEN',
  ProjectMismatch: 'GW_ERR_PROJECT_MISMATCH',
  SourceMismatch: 'GW_ERR_SOURCE_MISMATCH',
  /** The container was revoked (for good): its events are refused. */
  ContainerRevoked: 'GW_ERR_CONTAINER_REVOKED',
  /** A registration whose upstream would be one of the gateway's own listeners. */
  OwnListener: 'GW_ERR_OWN_LISTENER',
  /** An admin action named a container id the gateway has no trace of. */
  UnknownContainer: 'GW_ERR_UNKNOWN_CONTAINER',
  BadHostname: 'GW_ERR_BAD_HOSTNAME',
  HostnameConflict: 'GW_ERR_HOSTNAME_CONFLICT',
  NotFound: 'GW_ERR_NOT_FOUND',
  NoRoute: 'GW_ERR_NO_ROUTE',
  ContainerOffline: 'GW_ERR_CONTAINER_OFFLINE',
  UpstreamRefused: 'GW_ERR_UPSTREAM_REFUSED',
  UpstreamTimeout: 'GW_ERR_UPSTREAM_TIMEOUT',
  UpstreamFailed: 'GW_ERR_UPSTREAM_FAILED',
  /** The app answered a WebSocket handshake with something other than 101 (Deno and Bun only say so). */
  UpgradeRefused: 'GW_ERR_UPGRADE_REFUSED',
  StoreUnavailable: 'GW_ERR_STORE_UNAVAILABLE',
  AddressPoolExhausted: 'GW_ERR_ADDRESS_POOL_EXHAUSTED',
  BadConfig: 'GW_ERR_BAD_CONFIG',
  BadSettings: 'GW_ERR_BAD_SETTINGS',
  /** A pool host route (to a container held by another gateway) could not be read, added or removed. */
  KernelRoute: 'GW_ERR_KERNEL_ROUTE',
  /** The holder's forwarding set-up (ip_forward, SNAT into the tunnel) could not be applied or removed. */
  Forwarding: 'GW_ERR_FORWARDING',
  Internal: 'GW_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error that knows its stable code and the HTTP status it maps to at a boundary. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  /** The wire shape: `{error:{code,message}}`. */
  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badEvent = (message: string) => new GatewayError(ErrorCode.BadEvent, message, 400);
export const unauthorized = (message: string) => new GatewayError(ErrorCode.Unauthorized, message, 401);
export const forbidden = (code: ErrorCode, message: string) => new GatewayError(code, message, 403);
export const conflict = (message: string) => new GatewayError(ErrorCode.HostnameConflict, message, 409);
