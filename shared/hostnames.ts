import { ErrorCode, GatewayError } from './errors.ts';

/** DNS allows 63 characters per label. */
export const MAX_LABEL = 63;
/**
 * One DNS label as the proxy's Host check admits it: lowercase letters, digits and inner `-`, at most 63.
 * The Host check, container labels and service names all use this one rule, so a name the protocol
 * accepts always builds a hostname the proxy can route.
 */
const LABEL_RULE = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LABEL = new RegExp(`^${LABEL_RULE}$`);
const HOST = new RegExp(`^${LABEL_RULE}(?:\\.${LABEL_RULE})*$`);
/** Longest service name: leaves room for `uc-<container>--` in the 63-character label. */
export const SERVICE_NAME_MAX = 50;
/**
 * Service names as the protocol allows them: one DNS label (so never a trailing `-`, which would end
 * the hostname's first label with one). Inner `--` is allowed: container labels never hold `--`, so the
 * first `--` in `uc-<c>--<s>` still splits container and service unambiguously.
 */
export const SERVICE_NAME = LABEL;
const ORG_ID = LABEL;

/** Whether `name` is a service name (the same test the protocol's ServiceName schema makes). */
export const isServiceName = (name: string): boolean =>
  name.length <= SERVICE_NAME_MAX && SERVICE_NAME.test(name);

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
  if (service !== undefined && !isServiceName(service))
    throw badHostname(`service name "${service}" is invalid`);
  if (first.length > MAX_LABEL)
    throw badHostname(`hostname label "${first}" is longer than ${MAX_LABEL} characters`);
  const org = `org-${orgId.toLowerCase()}`;
  if (!ORG_ID.test(orgId.toLowerCase()) || org.length > MAX_LABEL)
    throw badHostname(`organisation id "${orgId}" does not make a DNS label`);
  const host = `${first}.${org}.${domain}`;
  if (host.length > 253) throw badHostname(`hostname "${host}" is longer than 253 characters`);
  // The final word is the proxy's own Host check: a hostname it would refuse could never be reached.
  if (normaliseHost(host) !== host || !isContainerHost(host, domain))
    throw badHostname(`hostname "${host}" is not one the proxy accepts under "${domain}"`);
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

/** Whether a normalised host is a container hostname under `domain` (`uc-*.org-*.<domain>`: two labels before it). */
export function isContainerHost(host: string, domain: string): boolean {
  const end = host.length - domain.length - 1;
  if (end <= 0 || host.charCodeAt(end) !== 46 || !host.endsWith(domain) || !host.startsWith('uc-'))
    return false;
  const firstDot = host.indexOf('.');
  return firstDot > 3 && firstDot < end && host.indexOf('.', firstDot + 1) === end;
}
