/**
 * What the VPN keeps in the store. Two implementations: memory (vpn-state-memory.ts) and Redis (in the
 * main store). Every method is atomic on its own: concurrent callers on any number of gateways see
 * each call happen entirely or not at all. No method spans two calls.
 */

export interface VpnStateStore {
  /**
   * The container's VPN address, allocated on first call: idempotent (a container always gets its
   * address back until released), never the network, gateway (.1) or broadcast address, never one
   * held by another container. Throws GW_ERR_ADDRESS_POOL_EXHAUSTED when the subnet is full.
   */
  allocateAddress(containerId: string): Promise<string>;
  /** Frees the container's address; returns whether it had one. */
  releaseAddress(containerId: string): Promise<boolean>;
  addressOf(containerId: string): Promise<string | null>;
  /** The container holding `address`, for the VPN listener's source address check. */
  containerAt(address: string): Promise<string | null>;
  /** Every allocation, container id -> address (ops tooling). */
  listAddresses(): Promise<Map<string, string>>;

  /** Records the serial (normalised hex) of the container's newest certificate; older ones stop counting. */
  setClientSerial(containerId: string, serialHex: string): Promise<void>;
  /** The newest serial, or null when none was issued (or the container was revoked). */
  clientSerial(containerId: string): Promise<string | null>;
  /**
   * Revokes a container, all at once: marks it revoked (for good), moves its newest serial onto the
   * revoked list and clears it. Returns the serials that went onto the list (empty when none).
   */
  revoke(containerId: string): Promise<string[]>;
  isRevoked(containerId: string): Promise<boolean>;
  /** Every revoked serial, for the CRL. */
  revokedSerials(): Promise<string[]>;

  /** The persisted PKI (an opaque string owned by VpnPki), or null before the first gateway made one. */
  loadPki(): Promise<string | null>;
  /** Stores `pki` unless one is stored already (first writer wins); returns the stored one. */
  savePki(pki: string): Promise<string>;
}
