/** Entry point on every runtime: configuration, object graph, listeners, clean shutdown. */
import { banner } from './banner.ts';
import { loadConfig } from './config.ts';
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await server.close();
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
