/** `gateway_vpn_clients`: clients connected to this gateway's OpenVPN (present when the VPN is on). */
import { family, type MetricsPart } from '../metrics/exposition.ts';
import type { VpnManager } from './vpn-manager.ts';

export function vpnMetrics(manager: Pick<VpnManager, 'clients'>): MetricsPart {
  return {
    render: () =>
      family('gateway_vpn_clients', 'gauge', "Clients connected to this gateway's OpenVPN.", [
        `gateway_vpn_clients ${manager.clients().length}`,
      ]),
  };
}
