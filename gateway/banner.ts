/** What `npm start` prints once listening: where things are and what to do next. */
import type { Config } from './config.ts';
import type { RunningServer } from './server/listener.ts';
import { describeTarget } from './store/redis-target.ts';

const EXAMPLE_ORG = '0b7e6a5c-3f1e-4d2a-9c8b-1a2b3c4d5e6f';
const EXAMPLE_PROJECT = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
/** gatewayctl's default admin API port (scripts/gatewayctl/admin-api.ts). */
const DEFAULT_ADMIN_PORT = 9090;

export function banner(config: Config, server: RunningServer, runtime: string, devKey: boolean): string {
  const base = `http://localhost:${server.publicPort}`;
  const dataEnv = config.DATA_DIR === '.data' ? '' : `DATA_DIR=${config.DATA_DIR} `;
  // gatewayctl reads the documented default admin port unless told: name this gateway's when it differs.
  const adminFlag =
    server.adminPort === DEFAULT_ADMIN_PORT ? '' : ` --admin http://127.0.0.1:${server.adminPort}`;
  const event = (json: string) =>
    `curl -s -X POST ${base}/collab/event -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '${json}'`;
  const lines = [
    `Demiurge Gateway is running on ${runtime}`,
    `  public listener  ${config.HOST}:${server.publicPort}   (containers: http://uc-<container>.org-<org>.${config.DOMAIN}:${server.publicPort}/)`,
    `  admin listener   127.0.0.1:${server.adminPort}   (/healthz /readyz /metrics)`,
    ...(config.VPN_ENABLED
      ? [
          `  vpn              OpenVPN ${config.VPN_PROTO} ${config.VPN_LISTEN ?? '*'}:${config.VPN_PORT}, subnet ${config.VPN_SUBNET}, VPN listener on the gateway address port 80`,
        ]
      : [
          '  vpn              off (VPN_ENABLED=true to run OpenVPN; containers then reach the gateway through it)',
        ]),
    `  store            ${config.redis ? describeTarget(config.redis) : 'embedded in-memory store (set REDIS_URL to use Redis)'}`,
    `  container tokens ${devKey ? `development key in ${config.DATA_DIR}/dev-signing-key.json` : 'platform key (JWT_PUBLIC_KEY / JWKS_URL)'}`,
    '',
  ];
  if (devKey) {
    lines.push(
      'Next: mint a container token and register a service (something listening on 127.0.0.1:8000):',
      `  TOKEN=$(${dataEnv}npx gatewayctl token --container demo --project ${EXAMPLE_PROJECT} --org ${EXAMPLE_ORG})`,
      `  ${event('{"event":{"type":"user-container:map-http-service","port":8000,"name":"web"}}')}`,
      `  ${event('{"event":{"type":"user-container:watchdog","system":{}}}')}`,
      `  ${dataEnv}npx gatewayctl routes${adminFlag}`,
      '',
    );
  }
  return lines.join('\n');
}
