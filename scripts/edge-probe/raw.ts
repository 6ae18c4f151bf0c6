/**
 * One raw TCP exchange: exact bytes out (CRLF as written), everything back, a bounded wait. Nothing here
 * knows HTTP beyond counting complete answers, so no client library can tidy a hostile request up.
 */
import { connect } from 'node:net';
import { type HttpResponse, parseResponses } from './responses.ts';

export interface ExchangeOptions {
  port: number;
  /** Written in order, one write each (a whole request in one write unless split on purpose). */
  parts: string[];
  /** Pause between parts. */
  gapMs?: number;
  /** Stop once this many complete answers arrived and `lingerMs` passed (a close still ends it sooner). */
  answers?: number;
  /** Wait for the server to close, up to `timeoutMs`, even after the expected answers. */
  untilClosed?: boolean;
  /** How long to keep listening after the expected answers (to see a close or stray bytes). */
  lingerMs?: number;
  /** The whole exchange never takes longer than this. */
  timeoutMs: number;
}

export interface Exchange {
  /** Everything received, latin1 (one character per byte). */
  data: string;
  responses: HttpResponse[];
  /** Bytes after the last complete answer. */
  rest: string;
  /** The server closed (or reset) the connection within the wait. */
  closed: boolean;
  /** Milliseconds from the connect to the close. */
  closedAfterMs?: number;
  /** A connect or socket error, if any. */
  error?: string;
}

const DEFAULT_LINGER_MS = 250;

export function exchange(options: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(options.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let closedAfterMs: number | undefined;
    let error: string | undefined;
    let linger: NodeJS.Timeout | undefined;
    let done = false;

    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(linger);
      socket.destroy();
      const data = Buffer.concat(chunks).toString('latin1');
      const { responses, rest } = parseResponses(data, closed);
      resolve({ data, responses, rest, closed, closedAfterMs, error });
    };
    const deadline = setTimeout(finish, options.timeoutMs);

    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.untilClosed || options.answers === undefined || linger) return;
      const data = Buffer.concat(chunks).toString('latin1');
      if (parseResponses(data, false).responses.length >= options.answers)
        linger = setTimeout(finish, options.lingerMs ?? DEFAULT_LINGER_MS);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => {
      closed = true;
      closedAfterMs = Date.now() - started;
      finish();
    });
    socket.on('connect', async () => {
      for (const [i, part] of options.parts.entries()) {
        if (socket.destroyed || done) return;
        if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        if (socket.destroyed || done) return;
        socket.write(Buffer.from(part, 'latin1'));
      }
    });
  });
}
