/**
 * Serves a fetch-style handler (the Hono control app) on the Node front end: the request becomes a Web
 * `Request` (its body read in full, bounded: control requests are small), the `Response` is streamed back
 * with back-pressure.
 */
import { ErrorCode, GatewayError } from '../../../shared/errors.ts';
import type { Http1Request } from './request.ts';
import type { Http1Response } from './response.ts';

export type FetchHandler = (request: Request, remoteAddress: string) => Response | Promise<Response>;

/** Framing is the front end's: these never come from a handler's answer. */
const FRAMING = new Set(['connection', 'keep-alive', 'transfer-encoding']);

async function readBody(body: NonNullable<Http1Request['body']>, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const CODES = { 400: ErrorCode.BadRequest, 413: ErrorCode.BodyTooLarge, 500: ErrorCode.Internal };

function json(res: Http1Response, status: 400 | 413 | 500, message: string): void {
  res.keepAlive = false;
  res.writeHead(status, undefined, ['content-type', 'application/json']);
  res.end(JSON.stringify(new GatewayError(CODES[status], message, status).toBody()));
}

/** The Web Request for a front-end request, or undefined when its Host makes no URL. */
function webRequest(req: Http1Request, body: Buffer | undefined): Request | undefined {
  // Pairs, not a Headers object: the Request fills its own headers once (a Headers would be copied).
  const headers: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  const hasBody = body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  try {
    return new Request(`http://${req.host || 'localhost'}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? (body as Uint8Array<ArrayBuffer>) : undefined,
    });
  } catch {
    return undefined;
  }
}

async function writeResponse(res: Http1Response, response: Response): Promise<void> {
  const headers: string[] = [];
  for (const [name, value] of response.headers) if (!FRAMING.has(name)) headers.push(name, value);
  res.writeHead(response.status, response.statusText, headers);
  if (response.body === null) return res.end();
  const reader = response.body.getReader();
  let gone = false;
  let drained: (() => void) | undefined;
  res.observer = {
    drained: () => drained?.(),
    clientClosed: () => {
      gone = true;
      drained?.();
      void reader.cancel().catch(() => {});
    },
  };
  // One chunk is held back: a body that is complete in one chunk (JSON, pages) goes out with a length.
  let held: Buffer | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (gone) return;
    if (done) return res.end(held);
    const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (held !== undefined && !res.write(held))
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    if (gone) return;
    held = chunk;
  }
}

/** A request handler for the front end that answers through `handler`. */
export function serveFetch(handler: FetchHandler, maxBodyBytes: number) {
  return async (req: Http1Request, res: Http1Response): Promise<void> => {
    try {
      let body: Buffer | undefined;
      if (req.body !== null) {
        body = await readBody(req.body, maxBodyBytes);
        if (body === undefined) return json(res, 413, 'request body too large');
      }
      const request = webRequest(req, body);
      if (request === undefined) return json(res, 400, 'bad request');
      await writeResponse(res, await handler(request, req.remoteAddress));
    } catch {
      if (!res.headersSent) json(res, 500, 'internal error');
      else res.destroy();
    }
  };
}
