/** Raw TCP exchanges for what HTTP clients refuse to send (smuggling attempts, byte-by-byte headers). */
import { connect } from 'node:net';

/** Sends `text`, returns everything received until the server closes or `waitMs` passes. */
export function rawExchange(
  port: number,
  text: string | string[],
  opts: { waitMs?: number; gapMs?: number } = {},
): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 3000);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {});
    socket.on('connect', async () => {
      const parts = Array.isArray(text) ? text : [text];
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

/** The status code of the first response in raw HTTP text, or 0. */
export const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
