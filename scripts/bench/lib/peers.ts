import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, launchPinned, waitForHttp } from './launch.ts';
import { proxyConfig, startNginx } from './nginx.ts';
import type { ProxyUnderTest, RunningProxy, StartContext } from './proxy-under-test.ts';

/** scripts/bench/peers: the peers' own package.json + lockfile. */
export const PEERS_DIR = join(import.meta.dirname, '..', 'peers');
const PEER_HOST = 'bench.localhost';

/** The origin itself, no proxy: the ceiling of the load generator's CPU. */
export const direct: ProxyUnderTest = {
  name: 'direct',
  label: 'direct to origin (the limit)',
  async start({ origin }): Promise<RunningProxy> {
    return { port: origin.port, hostHeader: PEER_HOST, pid: undefined, stop: async () => {} };
  },
};

/** Debian's nginx as a reverse proxy: 1 worker, upstream keep-alive. */
export const nginxProxy: ProxyUnderTest = {
  name: 'nginx',
  label: 'nginx, 1 worker, upstream keepalive',
  async start({ origin, proxyCpus, workDir }): Promise<RunningProxy> {
    const port = await freePort();
    const nginx = await startNginx({
      parentDir: workDir,
      name: 'nginx-proxy',
      cpus: proxyCpus,
      port,
      render: (dir) => proxyConfig(dir, port, origin.port),
    });
    return { port, hostHeader: PEER_HOST, pid: nginx.launched.pid, stop: () => nginx.launched.stop() };
  },
};

/** A Node peer started from scripts/bench/peers with `node <script> ...args`. */
async function startNodePeer(
  context: StartContext,
  name: string,
  script: string,
  args: (port: number, target: string) => string[],
  env: (port: number, target: string) => Record<string, string> = () => ({}),
): Promise<RunningProxy> {
  const port = await freePort();
  const target = `http://127.0.0.1:${context.origin.port}`;
  const launched = launchPinned({
    cpus: context.proxyCpus,
    command: process.execPath,
    args: [join(PEERS_DIR, script), ...args(port, target)],
    env: { NODE_ENV: 'production', ...env(port, target) },
    cwd: PEERS_DIR,
    logDir: context.workDir,
    name,
  });
  try {
    await waitForHttp(launched, port, '/', PEER_HOST);
  } catch (error) {
    await launched.stop();
    throw error;
  }
  return { port, hostHeader: PEER_HOST, pid: launched.pid, stop: () => launched.stop() };
}

/** configurable-http-proxy (JupyterHub's) through its CLI, everything to the default target. */
export const chp: ProxyUnderTest = {
  name: 'chp',
  label: 'configurable-http-proxy 5.3',
  async start(context): Promise<RunningProxy> {
    const apiPort = await freePort();
    return startNodePeer(
      context,
      'chp',
      'node_modules/configurable-http-proxy/bin/configurable-http-proxy',
      (port, target) => [
        '--ip=127.0.0.1',
        `--port=${port}`,
        '--api-ip=127.0.0.1',
        `--api-port=${apiPort}`,
        `--default-target=${target}`,
        '--log-level=error',
      ],
      // A token silences chp's warning about an unauthenticated API (the API is not used).
      () => ({ CONFIGPROXY_AUTH_TOKEN: randomUUID() }),
    );
  },
};

/** @fastify/http-proxy 11 on fastify 5 (peers/fastify-proxy.mjs). */
export const fastifyProxy: ProxyUnderTest = {
  name: 'fastify',
  label: '@fastify/http-proxy 11.6',
  start: (context) =>
    startNodePeer(
      context,
      'fastify',
      'fastify-proxy.mjs',
      () => [],
      (port, target) => ({ PORT: String(port), TARGET: target }),
    ),
};

/** Whether the peers' node_modules are installed (the CLI runs `npm ci` when not). */
export function peersInstalled(): boolean {
  return existsSync(join(PEERS_DIR, 'node_modules', 'configurable-http-proxy', 'package.json'));
}
