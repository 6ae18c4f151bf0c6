import { join } from 'node:path';
import { descriptorLimits } from './descriptor-limit.ts';
import { GATEWAY_RUNTIMES, gatewayFixture, gatewayUnderTest } from './gateway.ts';
import { freePort, launchPinned, waitForHttp } from './launch.ts';
import { startNginx, webSocketProxyConfig } from './nginx.ts';
import { chp, direct } from './peers.ts';
import type { ProxyUnderTest, RunningProxy } from './proxy-under-test.ts';

/** nginx with WebSocket proxying (Upgrade/Connection passed on), 1 worker, room for `sockets` clients. */
function nginxWebSocketProxy(sockets: number): ProxyUnderTest {
  return {
    name: 'nginx',
    label: 'nginx, 1 worker',
    async start({ origin, proxyCpus, workDir }): Promise<RunningProxy> {
      const port = await freePort();
      const nginx = await startNginx({
        parentDir: workDir,
        name: 'nginx-ws-proxy',
        cpus: proxyCpus,
        port,
        render: (dir) => webSocketProxyConfig(dir, port, origin.port, sockets, descriptorLimits().hard),
      });
      return {
        port,
        hostHeader: 'bench.localhost',
        pid: nginx.launched.pid,
        stop: () => nginx.launched.stop(),
      };
    },
  };
}

/** `ws-floor-relay.ts`: two sockets and two pipes per connection, nothing else (Node's floor). */
const nodeFloor: ProxyUnderTest = {
  name: 'node-floor',
  label: 'Node floor (raw relay)',
  async start({ origin, proxyCpus, workDir }): Promise<RunningProxy> {
    const port = await freePort();
    const launched = launchPinned({
      cpus: proxyCpus,
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        join(import.meta.dirname, 'ws-floor-relay.ts'),
        String(port),
        String(origin.port),
      ],
      env: {},
      logDir: workDir,
      name: 'node-floor',
    });
    try {
      await waitForHttp(launched, port, '/', 'bench.localhost');
    } catch (error) {
      await launched.stop();
      throw error;
    }
    return { port, hostHeader: 'bench.localhost', pid: launched.pid, stop: () => launched.stop() };
  },
};

/**
 * The rows of the WebSocket bench: direct to the echo upstream, nginx, configurable-http-proxy (the
 * HTTP bench's entries: both pass upgrades on as configured there), Node's floor (a raw relay), then
 * the gateway on each runtime with its route to the echo upstream registered on every start.
 */
export function webSocketProxies(sockets: number, gatewayEnv: Record<string, string>): ProxyUnderTest[] {
  const fixture = gatewayFixture();
  const gateways = GATEWAY_RUNTIMES.map((runtime) =>
    gatewayUnderTest(runtime, { servicesPerContainer: 1000, env: gatewayEnv }, fixture, 0, false),
  );
  return [
    { ...direct, label: 'direct to the echo upstream' },
    nginxWebSocketProxy(sockets),
    { ...chp, label: 'configurable-http-proxy 5.3' },
    nodeFloor,
    ...gateways,
  ];
}
