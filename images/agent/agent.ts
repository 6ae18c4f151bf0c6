/** Wires the agent's parts for `run` and `vpn-loop`: VPN loop, service registrar, watchdog. */
import { createBackoff, sleep } from './backoff.ts';
import type { AgentConfig } from './config.ts';
import { createGatewayClient, type GatewayClient } from './gateway-client.ts';
import type { Log } from './log.ts';
import { startOpenvpn } from './openvpn-process.ts';
import { createServiceRegistrar, type ServiceSpec } from './services.ts';
import { readSystemStats } from './system-stats.ts';
import { createTunnelProbe } from './tunnel.ts';
import { writeVpnFiles } from './vpn-files.ts';
import { runVpnLoop } from './vpn-loop.ts';
import { startWatchdog, type WatchdogDeps, type WatchdogTimer } from './watchdog.ts';

export interface AgentOptions {
  config: AgentConfig;
  services: readonly ServiceSpec[];
  log: Log;
  signal: AbortSignal;
}

/** Watchdog dependencies reading the real `/proc`, `/sys` and `/`. */
export function watchdogDeps(config: AgentConfig, client: GatewayClient, log: Log): WatchdogDeps {
  return {
    projectId: config.projectId,
    readStats: (pingMs) => readSystemStats({ root: '/', diskPath: '/', pingMs }),
    measureRoundTrip: () => client.measureRoundTrip(),
    post: (body, options) => client.postEvent(body, options),
    log,
  };
}

/** Runs until `signal` aborts; resolves after OpenVPN has been stopped. */
export async function runAgent({ config, services, log, signal }: AgentOptions): Promise<void> {
  const client = createGatewayClient(config);
  const registrar = createServiceRegistrar({
    services,
    projectId: config.projectId,
    post: (body, options) => client.postEvent(body, options),
    log,
  });
  let watchdog: WatchdogTimer | undefined;
  const stopBeats = () => {
    registrar.pause();
    watchdog?.stop();
    watchdog = undefined;
  };
  await runVpnLoop(
    {
      fetchConfig: (s) => client.fetchOvpn(s),
      writeFiles: (ovpn) =>
        writeVpnFiles(ovpn, { username: config.containerId, password: config.vpnPassword }),
      startOpenvpn: (path) => startOpenvpn(path),
      probe: createTunnelProbe(config.tunDevice),
      gatewayAlive: async () => (await client.measureRoundTrip()) !== null,
      backoff: createBackoff(),
      sleep,
      onTunnelUp(address) {
        log('info', 'tunnel up', { address, services: services.map((s) => s.name) });
        stopBeats();
        void registrar.registerNow();
        watchdog = startWatchdog(watchdogDeps(config, client, log));
      },
      onTunnelDown() {
        log('warn', 'tunnel down');
        stopBeats();
      },
      log,
    },
    signal,
  );
  stopBeats();
}
