/** gatewayctl's tables for people (`--json` bypasses these): one function per read command. */
import type { HealthRow } from '../../gateway/control/inventory.ts';
import type { RevocationResult } from '../../gateway/control/revocation.ts';
import type { ContainerRecord, Route } from '../../gateway/store/store.ts';
import type { ConnectedClient } from '../../gateway/vpn/management.ts';
import { age, table } from './table.ts';

export const containersTable = (rows: readonly ContainerRecord[], now = Date.now()): string =>
  table(
    ['CONTAINER', 'ORG', 'PROJECT', 'UPSTREAM', 'PRIMARY', 'GATEWAY', 'AGE'],
    rows.map((c) => [
      c.containerId,
      c.orgId,
      c.projectId,
      c.upstream,
      c.primary || '-',
      c.gateway,
      age(now - c.createdAt),
    ]),
  );

export const routesTable = (rows: readonly Route[]): string =>
  table(
    ['HOSTNAME', 'CONTAINER', 'SERVICE', 'UPSTREAM', 'ACCESS'],
    rows.map((r) => [r.hostname, r.containerId, r.service, `${r.upstream}:${r.port}`, r.access]),
  );

export const healthTable = (rows: readonly HealthRow[]): string =>
  table(
    ['CONTAINER', 'STATE', 'LAST WATCHDOG', 'LOAD', 'MEMORY'],
    rows.map((h) => [
      h.containerId,
      h.online ? 'online' : 'offline',
      h.ageMs === null ? 'never' : `${age(h.ageMs)} ago`,
      h.stats?.cpu.load?.join(' ') ?? '-',
      h.stats?.memory.totalMb
        ? `${h.stats.memory.availableMb ?? '?'}/${h.stats.memory.totalMb} MB free`
        : '-',
    ]),
  );

export const vpnTable = (rows: readonly ConnectedClient[], now = Date.now()): string =>
  table(
    ['CONTAINER', 'VPN ADDRESS', 'REAL ADDRESS', 'IN', 'OUT', 'SINCE'],
    rows.map((c) => [
      c.commonName,
      c.vpnAddress ?? '-',
      c.realAddress,
      String(c.bytesReceived),
      String(c.bytesSent),
      `${age(now - c.since)} ago`,
    ]),
  );

export function revocationLine(r: RevocationResult): string {
  const what = `routes ${r.routesRemoved ? 'removed' : 'none'}, VPN clients killed ${r.vpnClientsKilled}`;
  return r.alreadyRevoked
    ? `${r.containerId} was already revoked (still revoked): ${what}`
    : `revoked ${r.containerId}: ${what}`;
}
