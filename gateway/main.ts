/** Entry point on every runtime: configuration, object graph, listeners, draining shutdown (drain.ts). */
import { banner } from './banner.ts';
import { loadConfig } from './config.ts';
import { drainOnSignals } from './drain.ts';
import { effectiveConfig } from './effective-config.ts';
import { buildGateway } from './gateway.ts';
import { createLogger } from './log.ts';
import { currentRuntime, startServer } from './server/runtime.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  const gateway = await buildGateway(config, log);
  const runtime = currentRuntime();
  const server = await startServer(gateway, runtime);
  process.stdout.write(`${banner(config, server, runtime, gateway.tokenKeys.devKey !== undefined)}\n`);
  log.info('listening', {
    runtime,
    port: server.publicPort,
    adminPort: server.adminPort,
    gateway: config.GATEWAY_ID,
    config: effectiveConfig(config),
  });

  drainOnSignals({
    graceMs: config.DRAIN_GRACE,
    log,
    flag: gateway.drainFlag,
    websockets: gateway.proxy.websockets,
    vpn: gateway.vpn,
    // Peers, `gatewayctl gateways` and new agent configs leave a draining gateway out.
    markDraining: () => gateway.pool.membership.setDraining(true),
    closeListeners: () => server.close(),
    closeGateway: () => gateway.close(),
    exit: (code) => process.exit(code),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
