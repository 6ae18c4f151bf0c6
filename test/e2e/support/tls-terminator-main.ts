/**
 * Standalone Stage 1 stand-in, for running inside a namespace:
 *   ip netns exec gw-<id> node_modules/.bin/tsx test/e2e/support/tls-terminator-main.ts \
 *     --listen 10.250.0.1:443 --upstream 127.0.0.1:8080 [--upstream unix:/path.sock] [--name host]... [--plain]
 *     [--identity file.json]   ({cert, key} PEM: present that certificate instead of a new self-signed one)
 * Prints `listening https://<host>:<port>` (or http with --plain) once it accepts connections.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startTlsTerminator, type Upstream } from './tls-terminator.ts';

const HostPort = z
  .string()
  .regex(/^([^:\s]+):(\d{1,5})$/, 'host:port')
  .transform((v) => {
    const [host = '', port = ''] = v.split(':');
    return { host, port: Number(port) };
  });
const UpstreamArg = z.union([
  z
    .string()
    .regex(/^unix:\/.+/, 'unix:/path')
    .transform((v): Upstream => ({ socketPath: v.slice('unix:'.length) })),
  HostPort,
]);

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    upstream: { type: 'string' },
    name: { type: 'string', multiple: true },
    plain: { type: 'boolean', default: false },
    identity: { type: 'string' },
  },
});
const listen = HostPort.safeParse(values.listen);
const upstream = UpstreamArg.safeParse(values.upstream);
if (!listen.success || !upstream.success) {
  console.error(
    'usage: tls-terminator-main.ts --listen host:port --upstream host:port|unix:/path [--name h]... [--plain]',
  );
  process.exit(2);
}
const running = await startTlsTerminator({
  listen: listen.data,
  upstream: upstream.data,
  names: values.name ?? [],
  tls: !values.plain,
  certificate: values.identity ? JSON.parse(readFileSync(values.identity, 'utf8')) : undefined,
});
console.log(`listening ${values.plain ? 'http' : 'https'}://${listen.data.host}:${running.port}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void running.close().then(() => process.exit(0)));
