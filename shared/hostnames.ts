import { ErrorCode, GatewayError } from './errors.ts';

/** DNS allows 63 characters per label. */
export const MAX_LABEL = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** Service names as the protocol allows them; `--` is kept for the container/service separator. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ORG_ID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

const badHostname = (message: string) => new GatewayError(ErrorCode.BadHostname, message, 400);

/** The DNS-safe form of a container id: lowercase, `_` becomes `-`. Throws when no valid label results. */
export function containerLabel(containerId: string): string {
  const label = containerId.toLowerCase().replaceAll('_', '-');
  if (!LABEL.test(label)) throw badHostname(`container id "${containerId}" does not make a DNS label`);
  // `--` separates container and service in `uc-<c>--<s>`: a label holding it would be ambiguous.
  if (label.includes('--')) throw badHostname(`container id "${containerId}" may not contain "--"`);
  return label;
}

export interface HostnameParts {
  containerId: string;
  orgId: string;
  domain: string;
  /** Absent for the primary alias `uc-<c>`. */
  service?: string;
}

/** `uc-<container>[--<service>].org-<org>.<domain>`, validated label by label. */
export function serviceHostname({ containerId, orgId, domain, service }: HostnameParts): string {
  const first =
    service === undefined
      ? `uc-${containerLabel(containerId)}`
      : `uc-${containerLabel(containerId)}--${service}`;
  if (service !== undefined && !SERVICE_NAME.test(service))
    throw badHostname(`service name "${service}" is invalid`);
  if (first.length > MAX_LABEL)
    throw badHostname(`hostname label "${first}" is longer than ${MAX_LABEL} characters`);
  const org = `org-${orgId.toLowerCase()}`;
  if (!ORG_ID.test(orgId.toLowerCase()) || org.length > MAX_LABEL)
    throw badHostname(`organisation id "${orgId}" does not make a DNS label`);
  const host = `${first}.${org}.${domain}`;
  if (host.length > 253) throw badHostname(`hostname "${host}" is longer than 253 characters`);
  return host;
}

/** Both hostnames a service answers on: its own, and the primary alias when it is primary. */
export function hostnamesFor(
  parts: Omit<HostnameParts, 'service'>,
  service: string,
  primary: boolean,
): string[] {
  const own = serviceHostname({ ...parts, service });
  return primary ? [serviceHostname(parts), own] : [own];
}

/**
 * A Host header normalised for an exact route-table match: lowercase, port and trailing dot removed.
 * Returns undefined for anything that is not a plausible hostname (the caller answers 400).
 */
export function normaliseHost(host: string | undefined | null): string | undefined {
  if (!host || host.length > 260) return undefined;
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return undefined;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return HOST.test(h) ? h : undefined;
}
const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether a normalised host is a container hostname under `domain` (`uc-*.org-*.<domain>`: two labels before it). */
export function isContainerHost(host: string, domain: string): boolean {
  const end = host.length - domain.length - 1;
  if (end <= 0 || host.charCodeAt(end) !== 46 || !host.endsWith(domain) || !host.startsWith('uc-'))
    return false;
  const firstDot = host.indexOf('.');
  return firstDot > 3 && firstDot < end && host.indexOf('.', firstDot + 1) === end;
}
