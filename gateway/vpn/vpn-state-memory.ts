/**
 * The embedded VpnStateStore: plain maps. Each method does its work synchronously before its first
 * await point, so it is atomic within the process (there is only one process in embedded mode).
 */
import { DEFAULT_VPN_SUBNET, ipToInt, nextFreeAddress, parseSubnet, type VpnSubnet } from './ipam.ts';
import { normaliseSerial } from './pki-keys.ts';
import type { VpnStateStore } from './vpn-state.ts';

export class MemoryVpnState implements VpnStateStore {
  private readonly subnet: VpnSubnet;
  private readonly addressByContainer = new Map<string, string>();
  private readonly containerByAddress = new Map<string, string>();
  private readonly serials = new Map<string, string>();
  private readonly revokedContainers = new Set<string>();
  private readonly revoked = new Set<string>();
  private cursor: number;
  private pki: string | null = null;

  constructor(subnet: string | VpnSubnet = DEFAULT_VPN_SUBNET) {
    this.subnet = typeof subnet === 'string' ? parseSubnet(subnet) : subnet;
    this.cursor = this.subnet.first;
  }

  async allocateAddress(containerId: string): Promise<string> {
    const held = this.addressByContainer.get(containerId);
    if (held) return held;
    const address = nextFreeAddress(this.subnet, (a) => this.containerByAddress.has(a), this.cursor);
    this.addressByContainer.set(containerId, address);
    this.containerByAddress.set(address, containerId);
    this.cursor = (ipToInt(address) ?? this.subnet.first) + 1;
    return address;
  }

  async releaseAddress(containerId: string): Promise<boolean> {
    const address = this.addressByContainer.get(containerId);
    if (!address) return false;
    this.addressByContainer.delete(containerId);
    this.containerByAddress.delete(address);
    return true;
  }

  async addressOf(containerId: string): Promise<string | null> {
    return this.addressByContainer.get(containerId) ?? null;
  }

  async containerAt(address: string): Promise<string | null> {
    return this.containerByAddress.get(address) ?? null;
  }

  async listAddresses(): Promise<Map<string, string>> {
    return new Map(this.addressByContainer);
  }

  async setClientSerial(containerId: string, serialHex: string): Promise<void> {
    this.serials.set(containerId, normaliseSerial(serialHex));
  }

  async clientSerial(containerId: string): Promise<string | null> {
    return this.serials.get(containerId) ?? null;
  }

  async revoke(containerId: string): Promise<string[]> {
    this.revokedContainers.add(containerId);
    const serial = this.serials.get(containerId);
    this.serials.delete(containerId);
    if (!serial) return [];
    this.revoked.add(serial);
    return [serial];
  }

  async isRevoked(containerId: string): Promise<boolean> {
    return this.revokedContainers.has(containerId);
  }

  async revokedSerials(): Promise<string[]> {
    return [...this.revoked];
  }

  async loadPki(): Promise<string | null> {
    return this.pki;
  }

  async savePki(pki: string): Promise<string> {
    this.pki ??= pki;
    return this.pki;
  }
}
