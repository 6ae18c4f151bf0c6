import { MemoryVpnState } from '../../gateway/vpn/vpn-state-memory.ts';
import { vpnStateContract } from './vpn-state.contract.ts';

vpnStateContract('memory', async (subnet) => new MemoryVpnState(subnet));
