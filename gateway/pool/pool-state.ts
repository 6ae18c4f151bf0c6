/**
 * What a pool of gateways keeps in the store (issue 16): its members (one heartbeat each) and where each
 * container's tunnel is (its location). Two implementations, memory and Redis, pass one contract suite.
 * Every method is atomic on its own, across any number of gateways. Changes are published on the store's
 * change feed (`location` and `pool` changes, store.ts), so every gateway follows without polling.
 */

/** One gateway of the pool, as its last heartbeat described it. */
export interface GatewayMember {
  /** GATEWAY_ID: stable across restarts (a restart is the same gateway). */
  id: string;
  /** BACKBONE_ADDRESS: how peers reach this gateway (an IPv4 address), null when it has none. */
  backbone: string | null;
  /** Where containers reach this gateway's OpenVPN (`host` or `host:port`), null without VPN. */
  vpnRemote: string | null;
  /** The gateway's version (build info). */
  version: string;
  /** Epoch ms when this run of the gateway started. */
  startedAt: number;
  /** Epoch ms of the last heartbeat. */
  lastBeat: number;
  /** True once the gateway is draining (SIGTERM): it takes no new containers. */
  draining: boolean;
}

/** Where a container's tunnel is held. */
export interface ContainerLocation {
  containerId: string;
  gatewayId: string;
  /** Increases across the whole pool with every setLocation: a late disconnect cannot clear a newer connect. */
  epoch: number;
  /** Epoch ms of the connect. */
  since: number;
}

export interface PoolStateStore {
  /**
   * Records (or refreshes) a member's heartbeat at `now`; publishes `pool` when the member is new or changed.
   * Returns true when it was not a member (it joined, or joined again after being declared dead).
   */
  beat(member: Omit<GatewayMember, 'lastBeat'>, now: number): Promise<boolean>;
  /** Every member that has not left or been removed, newest heartbeat first. */
  members(): Promise<GatewayMember[]>;
  /** Removes a member (it left, or was declared dead); publishes `pool`. Returns whether it was there. */
  leave(gatewayId: string): Promise<boolean>;
  /** Records that `gatewayId` holds the container's tunnel; returns the new epoch; publishes `location`. */
  setLocation(containerId: string, gatewayId: string, now: number): Promise<number>;
  /** Clears the location only while it is still (gatewayId, epoch); publishes `location` when it did. */
  clearLocation(containerId: string, gatewayId: string, epoch: number): Promise<boolean>;
  /** Removes every location held by a (dead) gateway; publishes one `location` per container; returns them. */
  dropLocationsOf(gatewayId: string): Promise<string[]>;
  locations(): Promise<ContainerLocation[]>;
}
