/**
 * Every Redis key and channel the gateway writes, in one place. `redis/README.md` documents each of them;
 * test/store/redis-keys.test.ts checks that the two agree.
 * Route-table keys share the hash tag {rt} (one slot: the map/unmap scripts touch several of them);
 * per-container health keys use {c:<id>} so watchdog load spreads over a cluster.
 */
export const RedisKeys = {
  containers: 'dg:{rt}:containers',
  container: (cid: string) => `dg:{rt}:container:${cid}`,
  services: (cid: string) => `dg:{rt}:services:${cid}`,
  hosts: 'dg:{rt}:hosts',
  version: 'dg:{rt}:version',
  activity: 'dg:{rt}:activity',
  // Revocation is checked inside the scripts whose writes it forbids, so each slot that a container's
  // events write holds its own mark: the route table's SET, the container's own key (watchdogs).
  revoked: 'dg:{rt}:revoked',
  health: (cid: string) => `dg:{c:${cid}}:health`,
  history: (cid: string) => `dg:{c:${cid}}:history`,
  revokedMark: (cid: string) => `dg:{c:${cid}}:revoked`,
  authCode: (code: string) => `dg:{auth}:code:${code}`,
  // The OIDC provider's records share the hash tag {oidc}: deleting a group deletes its members' keys.
  oidcRecord: (kind: string, id: string) => `dg:{oidc}:rec:${kind}:${id}`,
  oidcUid: (kind: string, uid: string) => `dg:{oidc}:uid:${kind}:${uid}`,
  oidcGroup: (group: string) => `dg:{oidc}:group:${group}`,
  changes: 'dg:changes',
  // VPN state shares the hash tag {vpn}: allocation changes both address indexes and the cursor atomically.
  vpnAddresses: 'dg:{vpn}:addresses',
  vpnAddressOwners: 'dg:{vpn}:address-owners',
  vpnCursor: 'dg:{vpn}:cursor',
  vpnSerials: 'dg:{vpn}:serials',
  vpnRevokedSerials: 'dg:{vpn}:revoked-serials',
  vpnRevokedContainers: 'dg:{vpn}:revoked-containers',
  vpnPki: 'dg:{vpn}:pki',
  // Pool state (gateway/pool/) shares the hash tag {pool}: its scripts read and write several of these.
  poolMembers: 'dg:{pool}:members',
  poolBeats: 'dg:{pool}:beats',
  poolLocations: 'dg:{pool}:locations',
  poolEpoch: 'dg:{pool}:epoch',
} as const;

/** The documented key patterns (as written in redis/README.md), `<cid>` standing for a container id. */
export const DOCUMENTED_PATTERNS = [
  RedisKeys.containers,
  RedisKeys.container('<cid>'),
  RedisKeys.services('<cid>'),
  RedisKeys.hosts,
  RedisKeys.version,
  RedisKeys.activity,
  RedisKeys.revoked,
  RedisKeys.health('<cid>'),
  RedisKeys.history('<cid>'),
  RedisKeys.revokedMark('<cid>'),
  RedisKeys.authCode('<code>'),
  RedisKeys.oidcRecord('<kind>', '<id>'),
  RedisKeys.oidcUid('<kind>', '<uid>'),
  RedisKeys.oidcGroup('<group>'),
  RedisKeys.vpnAddresses,
  RedisKeys.vpnAddressOwners,
  RedisKeys.vpnCursor,
  RedisKeys.vpnSerials,
  RedisKeys.vpnRevokedSerials,
  RedisKeys.vpnRevokedContainers,
  RedisKeys.vpnPki,
  RedisKeys.poolMembers,
  RedisKeys.poolBeats,
  RedisKeys.poolLocations,
  RedisKeys.poolEpoch,
] as const;
