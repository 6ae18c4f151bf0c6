/**
 * Debian's HAProxy as Stage 1 in a test namespace: plain HTTP, round-robin over backends, each checked
 * on /readyz (a draining or dead gateway is taken out within about a check interval), a request whose
 * connection failed retried on another backend, WebSockets tunnelled.
 *
 *   startHaproxyIn(namespaces, ns, { listen, backends, checkHost, dir }) -> Promise<Haproxy>
 *     listen: 'address:port'; backends: [{ name, address }] ('host:port'); checkHost: the Host of checks
 *     .process                   the haproxy process (foreground, -db)
 *     .stats()                   per backend: its check status as HAProxy sees it ('UP', 'DOWN', ...)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { requireCommand } from '../../support/prerequisites.ts';
import type { Namespaces } from './netns.ts';
import type { TrackedProcess } from './processes.ts';

export interface HaproxyOptions {
  listen: string;
  backends: { name: string; address: string }[];
  checkHost: string;
  /** Where the configuration and the stats socket go. */
  dir: string;
}

export interface Haproxy {
  readonly process: TrackedProcess;
  stats(): Promise<Record<string, string>>;
}

function configuration(options: HaproxyOptions, statsSocket: string): string {
  return [
    'global',
    '  maxconn 4000',
    `  stats socket ${statsSocket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout tunnel 1h',
    '  option redispatch',
    '  retries 3',
    '  retry-on conn-failure empty-response 503',
    'frontend stage1',
    `  bind ${options.listen}`,
    '  option forwardfor',
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk',
    `  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host ${options.checkHost}`,
    '  http-check expect status 200',
    '  default-server inter 300ms fall 1 rise 2',
    ...options.backends.map((b) => `  server ${b.name} ${b.address} check`),
    '',
  ].join('\n');
}

/** Starts HAProxy in `ns` and waits until it has read its configuration and bound its listener. */
export async function startHaproxyIn(
  namespaces: Namespaces,
  ns: string,
  options: HaproxyOptions,
): Promise<Haproxy> {
  requireCommand('haproxy', 'haproxy');
  const file = join(options.dir, 'haproxy.cfg');
  const statsSocket = join(options.dir, 'haproxy.sock');
  writeFileSync(file, configuration(options, statsSocket));
  const process = namespaces.spawnIn(ns, 'haproxy', ['-db', '-f', file]);
  // The stats socket is a path: the test process reaches it from any namespace.
  const stats = async () => {
    const text = await new Promise<string>((resolve) => {
      let out = '';
      const socket = connect(statsSocket, () => socket.end('show stat\n'));
      socket.on('data', (chunk) => {
        out += chunk;
      });
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(''));
    });
    const rows: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const [proxy, server, ...rest] = line.split(',');
      if (proxy === 'gateways' && server && server !== 'BACKEND') rows[server] = rest[15] ?? '';
    }
    return rows;
  };
  for (let i = 0; i < 100; i++) {
    if (process.child.exitCode !== null) break;
    if (existsSync(statsSocket)) return { process, stats };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy did not start:\n${process.output().slice(-2000)}`);
}
