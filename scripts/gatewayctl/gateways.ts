/** `gatewayctl gateways`: the pool's members, their state and the containers whose tunnel each holds. */
import type { GatewayRow } from '../../gateway/pool/pool-inventory.ts';
import { age, table } from './table.ts';

export function gatewaysTable(rows: readonly GatewayRow[]): string {
  return table(
    ['GATEWAY', 'STATE', 'LAST BEAT', 'CONTAINERS', 'BACKBONE', 'VPN REMOTE', 'VERSION', 'UP'],
    rows.map((g) => [
      g.id,
      g.state,
      `${age(g.lastBeatAgoMs)} ago`,
      String(g.containers),
      g.backbone ?? '-',
      g.vpnRemote ?? '-',
      g.version,
      age(g.lastBeat - g.startedAt),
    ]),
  );
}
