/**
 * A simulated user container running the compiled agent: the demo service (demo-service.ts) on
 * SERVICE_PORT, then an entrypoint (the agent's own `run`, or a legacy script through the shim), in its own
 * network, PID and mount namespaces with a private /tmp (topology.spawnContainer).
 *
 *   startAgentContainer(topology, ns, spec) -> ContainerProcess
 *     spec: { agent, containerId, projectId, orgId, token, gatewayFqdn, caPem, entrypoint, env? }
 *     entrypoint: sh text run once the service listens; $DEMIURGE_AGENT is the binary, $SHIM the shim.
 *     Just before it the container prints `agent-start <epoch ms>` (agentStartedAt reads it back).
 *   agentLog(output) -> the agent's JSON log records (OpenVPN's own lines are skipped)
 *   agentStartedAt(output) -> epoch ms of the entrypoint's start, or undefined
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ContainerProcess } from '../support/container.ts';
import type { Namespaces } from '../support/netns.ts';
import { encodeSettings } from '../support/settings.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const SHIM = `${REPO}images/demiurge-functions.sh`;
const SERVICE = fileURLToPath(new URL('./demo-service.ts', import.meta.url));
/** One node process for the service (no tsx launcher in between): the loader is imported directly. */
const TSX_LOADER = pathToFileURL(`${REPO}node_modules/tsx/dist/loader.mjs`).href;
export const SERVICE_PORT = 8080;

export interface AgentContainerSpec {
  agent: string;
  containerId: string;
  projectId: string;
  orgId: string;
  token: string;
  gatewayFqdn: string;
  /** The gateway's pinned CA (PEM), given as DEMIURGE_GATEWAY_CA. */
  caPem: string;
  entrypoint: string;
  /** Extra environment (the platform's, e.g. DEMIURGE_MAP_INTERVAL). */
  env?: Record<string, string>;
}

/** Starts the service, waits (bounded) until it listens, then runs the entrypoint. */
export function startAgentContainer(
  topology: Namespaces,
  ns: string,
  spec: AgentContainerSpec,
): ContainerProcess {
  const script = [
    `"${process.execPath}" --import '${TSX_LOADER}' "${SERVICE}" > /tmp/service.log 2>&1 &`,
    'i=0; while [ $i -lt 300 ] && ! grep -q listening /tmp/service.log 2>/dev/null; do i=$((i+1)); sleep 0.05; done',
    'grep -q listening /tmp/service.log || { echo "the demo service did not start"; cat /tmp/service.log; exit 96; }',
    'echo "agent-start $(date +%s%3N)"',
    spec.entrypoint,
  ].join('\n');
  return topology.spawnContainer(ns, script, {
    SETTINGS: encodeSettings(spec),
    DEMIURGE_AGENT: spec.agent,
    DEMIURGE_GATEWAY_CA: spec.caPem,
    SHIM,
    SERVICE_OWNER: spec.containerId,
    SERVICE_PORT: String(SERVICE_PORT),
    ...spec.env,
  });
}

const LogRecord = z.looseObject({
  time: z.string(),
  level: z.string(),
  component: z.literal('agent'),
  message: z.string(),
});
export type LogRecord = z.infer<typeof LogRecord>;

/** The agent's JSON log lines in a container's output. */
export function agentLog(output: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = LogRecord.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
    } catch {
      // an OpenVPN or service line that happens to start with "{"
    }
  }
  return records;
}

export function agentStartedAt(output: string): number | undefined {
  const match = /^agent-start (\d{13})$/m.exec(output);
  return match ? Number(match[1]) : undefined;
}
