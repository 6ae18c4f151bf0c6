/**
 * `npm run demo`: the gateway (embedded store, development key) plus a demo container that registers
 * itself with legacy-format events. Prints a URL that works in a browser and with curl.
 */
import { mintContainerToken } from '../../gateway/auth/container-token.ts';
import { loadConfig } from '../../gateway/config.ts';
import { buildGateway } from '../../gateway/gateway.ts';
import { createLogger } from '../../gateway/log.ts';
import { startServer } from '../../gateway/server/runtime.ts';
import { registerLegacy, startDemoContainer } from './demo-container.ts';

const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const gateway = await buildGateway(config, createLogger(config.LOG_LEVEL));
const server = await startServer(gateway);
const devKey = gateway.tokenKeys.devKey;
if (!devKey) throw new Error('the demo needs the development key (unset JWT_PUBLIC_KEY / JWKS_URL)');
const container = await startDemoContainer();
const token = await mintContainerToken(devKey, {
  containerId: 'demo',
  projectId: 'demo-project',
  orgId: 'demo',
});
const registration = registerLegacy(
  `http://127.0.0.1:${server.publicPort}`,
  token,
  'demo-project',
  'web',
  container.port,
);
await registration.first;

const url = `http://uc-demo.org-demo.${config.DOMAIN}:${server.publicPort}/`;
process.stdout.write(
  [
    'Demiurge Gateway demo is running.',
    `  open     ${url}`,
    `  curl     curl ${url}`,
    `  service  uc-demo--web.org-demo.${config.DOMAIN}:${server.publicPort} (the per-service hostname)`,
    `  metrics  curl http://127.0.0.1:${server.adminPort}/metrics`,
    'The demo container (HTML page + WebSocket echo on loopback) re-registers every 15 s like a legacy image. Ctrl-C stops.',
    '',
  ].join('\n'),
);
const stop = async () => {
  registration.stop();
  await container.close();
  await server.close();
  await gateway.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
