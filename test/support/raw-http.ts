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

export interface RawResponse {
  status: number;
  /** Header names lowercased; repeated headers keep every value. */
  headers: Map<string, string[]>;
  body: string;
}

/** Parses the first response in raw HTTP/1.1 text (Content-Length, chunked or close-delimited body). */
export function parseResponse(raw: string): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  let rest = raw.slice(end + 4);
  let body = rest;
  const length = headers.get('content-length')?.[0];
  if (length !== undefined) body = rest.slice(0, Number(length));
  else if (headers.get('transfer-encoding')?.[0] === 'chunked') {
    body = '';
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 4 + size);
    }
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
}
