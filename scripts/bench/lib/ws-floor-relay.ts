/**
 * The floor of any Node WebSocket proxy on this machine: per connection it reads the request head (up
 * to its blank line), connects to the upstream, writes the head unchanged and pipes both ways. No
 * parsing, routing, header rewriting, access log or metrics: what is left is Node's own cost of two
 * sockets and their streams. The WebSocket bench's `node-floor` row, to tell the gateway's own work from
 * the runtime's.
 * Usage: node --import tsx scripts/bench/lib/ws-floor-relay.ts <port> <upstream port>
 */
import { connect, createServer, type Socket } from 'node:net';

const [portText, upstreamText] = process.argv.slice(2);
const port = Number(portText);
const upstreamPort = Number(upstreamText);
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 16 * 1024;

function relay(client: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    if (head.indexOf(HEAD_END) === -1) {
      if (head.length > MAX_HEAD) client.destroy();
      return;
    }
    client.off('data', onData);
    client.pause();
    const upstream = connect(upstreamPort, '127.0.0.1');
    upstream.setNoDelay(true);
    upstream.write(head);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.pipe(upstream);
  };
  client.setNoDelay(true);
  client.on('data', onData);
  client.on('error', () => client.destroy());
}

createServer(relay).listen(port, '127.0.0.1');
