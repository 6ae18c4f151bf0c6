/** Builds the control app in-process (no sockets) over a given store, with a fresh signing key. */
import { generateKeyPair, SignJWT } from 'jose';
import { createContainerTokenVerifier, mintContainerToken } from '../../gateway/auth/container-token.ts';
import type { DevKey } from '../../gateway/auth/dev-key.ts';
import { type ControlAppDeps, createControlApp } from '../../gateway/control/app.ts';
import type { CollabEventDeps } from '../../gateway/control/collab-event.ts';
import { unobservedOutcomes } from '../../gateway/control/collab-outcomes.ts';
import { plainAddress } from '../../gateway/control/env.ts';
import { ownListeners } from '../../gateway/control/own-listeners.ts';
import { type Logger, silentLogger } from '../../gateway/log.ts';
import type { SecurityLog, SecurityReason } from '../../gateway/security-log.ts';
import type { Store } from '../../gateway/store/store.ts';

export const ORG = '0b7e6a5c-3f1e-4d2a-9c8b-1a2b3c4d5e6f';
export const PROJECT = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
export const DOMAIN = 'localhost';
/** The listeners the harness's gateway pretends to have (public on every address, admin on loopback). */
export const PUBLIC_PORT = 8080;
export const ADMIN_PORT = 9090;

export async function testKey(): Promise<DevKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { alg: 'RS256', kid: 'test', privateKey, publicKey };
}

/** A SecurityLog that keeps every event, for tests to assert on. */
export function recordingSecurityLog(): SecurityLog & {
  events: [SecurityReason, Record<string, unknown>][];
} {
  const events: [SecurityReason, Record<string, unknown>][] = [];
  return {
    events,
    event: (reason, fields = {}) => void events.push([reason, fields]),
    render: () => '',
    stop() {},
  };
}

export async function controlHarness(
  store: Store,
  opts: {
    bodyLimitBytes?: number;
    upstreamOf?: CollabEventDeps['upstreamOf'];
    ownListeners?: CollabEventDeps['ownListeners'];
    outcomes?: CollabEventDeps['outcomes'];
    liveness?: CollabEventDeps['liveness'];
    publicUrl?: CollabEventDeps['publicUrl'];
    log?: Logger;
  } = {},
) {
  const key = await testKey();
  const security = recordingSecurityLog();
  const deps: ControlAppDeps = {
    store,
    verifier: createContainerTokenVerifier(key.publicKey, ['RS256']),
    domain: DOMAIN,
    gatewayId: 'gw-test',
    livenessTimeoutMs: 45_000,
    now: Date.now,
    upstreamOf: opts.upstreamOf ?? (async (_identity, connection) => plainAddress(connection.remoteAddress)),
    ownListeners:
      opts.ownListeners ??
      ownListeners({ publicHost: '0.0.0.0', publicPort: PUBLIC_PORT, adminPort: ADMIN_PORT }),
    security,
    log: opts.log ?? silentLogger,
    outcomes: opts.outcomes ?? unobservedOutcomes(),
    liveness: opts.liveness ?? { beat: () => () => {} },
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    bodyLimitBytes: opts.bodyLimitBytes ?? 65_536,
    accessLevels: new Set(['public', 'org', 'project', 'owner']),
    defaultAccess: 'project',
    readiness: [{ name: 'store', check: () => store.ping() }],
  };
  const app = createControlApp(deps);
  const token = (containerId = 'c1', projectId = PROJECT, orgId = ORG, ttlSeconds?: number) =>
    mintContainerToken(key, { containerId, projectId, orgId, ttlSeconds });
  const post = (
    authorization: string | undefined,
    body: string,
    remoteAddress = '127.0.0.1',
    headers: Record<string, string> = {},
  ) =>
    app.request(
      '/collab/event',
      {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
          ...headers,
        },
      },
      { remoteAddress, listener: 'public' as const },
    );
  /** A token with the right claims signed by a key the gateway does not trust. */
  const foreignToken = async () => {
    const other = await testKey();
    return new SignJWT({
      type: 'user_container_token',
      user_container_id: 'c1',
      project_id: PROJECT,
      scope: `org:${ORG}:connect-vpn`,
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('1h')
      .sign(other.privateKey);
  };
  return { app, deps, key, token, post, foreignToken, security };
}

export const mapBody = (name: string, port: number | string, projectId: string | undefined = PROJECT) =>
  `{"event":{"type":"user-container:map-http-service","port":${typeof port === 'number' ? port : JSON.stringify(port)},"name":${JSON.stringify(name)}}${projectId ? `,"project_id":"${projectId}"` : ''}}`;

export const legacyWatchdogBody = (cards = '00:02.0 VGA compatible controller: X') =>
  `{"event":{"type":"user-container:watchdog","system":{"cpu":{"usage":"0.08, 0.18, 0.11","count":"4","threads_per_core":"2","model":"Intel(R) X"},"memory":{"free":13935,"total":15926},"disk":{"size":"251G","usage":"13.00%"},"network":{"ping_time":"0.045/0.052/0.060/0.006 ms"},"graphic":{"cards":"${cards}"}}},"project_id":"${PROJECT}"}`;
