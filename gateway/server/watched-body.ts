/**
 * Answer bodies on Deno and Bun, for the access log: there bodies are streams the gateway hands on and
 * never reads, so the end of an exchange is only seen through one stream step that counts the bytes and
 * says once how the body ended. With ACCESS_LOG off the upstream's stream is handed on as it is (decided
 * once, at start).
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { AccessLog, Cut } from '../proxy/access-log.ts';
import type { ScannedRequest } from '../proxy/headers.ts';
import type { UpstreamFailures } from '../proxy/upstream-failures.ts';
import type { ResolvedRoute } from '../store/store.ts';

type Body = ReadableStream<Uint8Array> | null;

/** Hands an upstream's answer body on: `started`, `sent` and `answered` as in `ExchangeFacts`. */
export type RelayBody = (
  body: Body,
  request: Request,
  scanned: ScannedRequest,
  route: ResolvedRoute,
  status: number,
  started: number,
  sent: number,
  answered: number,
) => Body;

/**
 * How answer bodies are handed on for `accessLog`: as they are when it is off, else watched (an answer
 * the app cuts is then also an `upstream failed` line).
 */
export function answerBodies(accessLog: AccessLog, failures: UpstreamFailures): RelayBody {
  if (!accessLog.enabled) return (body) => body;
  return (body, request, scanned, route, status, started, sent, answered) => {
    const facts = { scanned, route, method: request.method, target: request.url, started, sent, answered };
    const logged = (bytes: number, cut: Cut | undefined) => {
      // A client that leaves aborts the upstream fetch too: its body then fails, but not by the app.
      const by = cut === 'upstream' && request.signal.aborted ? 'client' : cut;
      const code = by === 'upstream' ? ErrorCode.UpstreamFailed : undefined;
      if (code !== undefined) failures.failed(scanned, route, code, true);
      accessLog.exchange(facts, status, bytes, 'app', code, by);
    };
    if (body === null) {
      logged(0, undefined);
      return null;
    }
    return watchedBody(body, logged);
  };
}

/**
 * `body` as a stream that reads it on demand (back-pressure kept: nothing is read ahead of the client),
 * calling `ended` once: at its end, when the upstream fails (`upstream`), or when the client goes away
 * and the runtime cancels it (`client`).
 */
export function watchedBody(
  body: ReadableStream<Uint8Array>,
  ended: (bytes: number, cut: Cut | undefined) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let over = false;
  const end = (cut: Cut | undefined) => {
    if (over) return;
    over = true;
    ended(bytes, cut);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (err) {
          end('upstream');
          controller.error(err);
          return;
        }
        if (read.done) {
          end(undefined);
          controller.close();
          return;
        }
        bytes += read.value.byteLength;
        controller.enqueue(read.value);
      },
      cancel(reason) {
        end('client');
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
