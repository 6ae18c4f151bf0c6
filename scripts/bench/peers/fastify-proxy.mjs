// @fastify/http-proxy on fastify 5 with its defaults (undici pool via @fastify/reply-from), every path
// forwarded to TARGET. Started by scripts/bench/proxy.ts: PORT=<port> TARGET=http://127.0.0.1:<origin>.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const port = Number(process.env.PORT);
const upstream = process.env.TARGET;
if (!Number.isInteger(port) || !upstream) {
  console.error('usage: PORT=<port> TARGET=<http://host:port> node fastify-proxy.mjs');
  process.exit(2);
}

const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: '/', http2: false });
await app.listen({ host: '127.0.0.1', port });
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));
