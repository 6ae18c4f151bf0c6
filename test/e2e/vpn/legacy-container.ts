/**
 * A simulated legacy user container: test/legacy-client/entrypoint.sh (the legacy bootstrap, unchanged)
 * plus the small HTTP + WebSocket service on 7681 (container-service.ts), in its own network, PID and
 * mount namespaces with a private /tmp, exactly as an image with `tini jq curl openvpn` would run them.
 *
 *   startLegacyContainer(topology, ns, spec) -> ContainerProcess
 *     spec: { containerId, projectId, orgId, token, gatewayFqdn, vpnSecret?, legacyEnv? }
 *     legacyEnv: the library's interval overrides (LEGACY_SLEEP, ...); empty = the legacy defaults
 *   (SETTINGS come from ../support/settings.ts)
 *   vpnAddressOf(topology, ns) -> the IPv4 address on the container's tun0, or null
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ContainerProcess } from '../support/container.ts';
import type { Namespaces } from '../support/netns.ts';
import { runCommand } from '../support/processes.ts';
import { encodeSettings } from '../support/settings.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRYPOINT = `${REPO}test/legacy-client/entrypoint.sh`;
const SERVICE = fileURLToPath(new URL('./container-service.ts', import.meta.url));
/** One node process per service (no tsx launcher process in between): the loader is imported directly. */
const TSX_LOADER = pathToFileURL(`${REPO}node_modules/tsx/dist/loader.mjs`).href;

export const SERVICE_PORT = 7681;

const fail = (message: string): never => {
  throw new Error(message);
};

export interface LegacyContainerSpec {
  containerId: string;
  projectId: string;
  orgId: string;
  token: string;
  /** SETTINGS.gateway_fqdn (may carry :port). */
  gatewayFqdn: string;
  vpnSecret?: string;
  legacyEnv?: Record<string, string>;
}

export function startLegacyContainer(
  topology: Namespaces,
  ns: string,
  spec: LegacyContainerSpec,
): ContainerProcess {
  const script = [
    `SERVICE_OWNER='${spec.containerId}' SERVICE_PORT=${SERVICE_PORT} "${process.execPath}" --import '${TSX_LOADER}' "${SERVICE}" &`,
    `exec sh "${ENTRYPOINT}"`,
  ].join('\n');
  return topology.spawnContainer(ns, script, {
    SETTINGS: encodeSettings(spec),
    SERVICE_NAME: 'terminal',
    SERVICE_PORT: String(SERVICE_PORT),
    ...spec.legacyEnv,
  });
}

/** The address OpenVPN gave the container (`ip -n <ns> addr show dev tun0`), or null without a tunnel. */
export async function vpnAddressOf(topology: Namespaces, ns: string): Promise<string | null> {
  topology.namespaces.includes(ns) || fail(`namespace ${ns} is not part of topology ${topology.id}`);
  const out = await runCommand('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'tun0'], {
    allowFailure: true,
  });
  return /\binet (\d+\.\d+\.\d+\.\d+)\/\d+/.exec(out.stdout)?.[1] ?? null;
}
