/**
 * An in-process HTTP server on a unix socket that records every request. A filesystem unix socket is
 * reachable from every network namespace, so a front started inside `gw` (tls-terminator-main.ts with
 * `--upstream unix:<path>`) brings namespace traffic to this process without any root-namespace address.
 *
 *   startStubUpstream(respond) -> Promise<StubUpstream>
 *     respond(request, previous) -> { status?, body?, headers? }   previous = requests recorded before this one
 *     .socketPath, .upstreamArg ('unix:<path>'), .requests (RecordedRequest[])
 *     .waitFor(predicate, timeoutMs)   the first recorded request matching, polling every 50 ms
 *     .close()
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface StubAnswer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface StubUpstream {
  socketPath: string;
  upstreamArg: string;
  requests: RecordedRequest[];
  waitFor(predicate: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/** Starts the recording server; `respond` decides each answer. */
export async function startStubUpstream(
  respond: (request: RecordedRequest, previous: readonly RecordedRequest[]) => StubAnswer,
): Promise<StubUpstream> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-stub-'));
  const socketPath = join(dir, 'upstream.sock');
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString(),
      };
      const answer = respond(recorded, [...requests]);
      requests.push(recorded);
      res.writeHead(answer.status ?? 200, answer.headers ?? { 'content-type': 'application/json' });
      res.end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    upstreamArg: `unix:${socketPath}`,
    requests,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `no matching request in ${timeoutMs} ms; got: ${requests.map((r) => `${r.method} ${r.url}`).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
