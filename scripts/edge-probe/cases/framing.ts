/**
 * Request smuggling and framing: heads a proxy could frame differently from the app behind it are refused
 * and the connection closed, so no byte after them is read as a request (gateway/server/http1/README.md:
 * what the front end accepts). Two well-formed requests in one write are both answered, in order.
 */
import { APP_NOTHING, answers, appGot, CLOSED, nothingSmuggled, REFUSED, status } from '../checks.ts';
import { type Check, type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';

const GROUP = 'framing';
/** What a smuggled second request would look like: it must never reach the app. */
const smuggled = (host: string) => `GET /smuggled HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
/** Refused at the edge, the connection closed, nothing (smuggled or not) at the app. */
/** Names a smuggled request that reached the app (implied by the other app checks: no column text). */
const SMUGGLED: Check = { ...nothingSmuggled('/smuggled'), expect: '' };
const refusedClosed = (): Check[] => [REFUSED, CLOSED, APP_NOTHING, SMUGGLED];

/** A request to the public service whose head carries `lines` (CRLF-joined) and then `rest`. */
const head = (ctx: ProbeContext, first: string, lines: string[], rest = '') =>
  `${[first, `Host: ${ctx.hosts.web}`, ...lines].join('\r\n')}\r\n\r\n${rest}`;

const refusal = (id: string, send: (ctx: ProbeContext) => string | string[]): ProbeCase =>
  rawCase(GROUP, { id, send, checks: refusedClosed });

export const framingCases: ProbeCase[] = [
  rawCase(GROUP, {
    id: 'plain-get',
    send: (ctx) => head(ctx, 'GET /f/plain HTTP/1.1', ['Connection: close']),
    checks: () => [status(200), appGot('GET /f/plain')],
  }),
  rawCase(GROUP, {
    id: 'chunked-body',
    send: (ctx) =>
      head(
        ctx,
        'POST /f/chunked HTTP/1.1',
        ['Transfer-Encoding: chunked', 'Connection: close'],
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      ),
    checks: () => [
      status(200),
      appGot('POST /f/chunked'),
      {
        expect: 'app body "hello world"',
        problem: (o) =>
          o.app[0]?.body === 'hello world' ? undefined : `app body ${JSON.stringify(o.app[0]?.body)}`,
      },
    ],
  }),
  refusal('cl-te', (ctx) =>
    head(
      ctx,
      'POST /f/cl-te HTTP/1.1',
      ['Content-Length: 4', 'Transfer-Encoding: chunked'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('te-cl', (ctx) =>
    head(
      ctx,
      'POST /f/te-cl HTTP/1.1',
      ['Transfer-Encoding: chunked', 'Content-Length: 40'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('two-content-lengths', (ctx) =>
    head(
      ctx,
      'POST /f/two-cl HTTP/1.1',
      ['Content-Length: 5', 'Content-Length: 6'],
      `hello!${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('te-gzip-chunked', (ctx) =>
    head(
      ctx,
      'POST /f/te-gzip HTTP/1.1',
      ['Transfer-Encoding: gzip, chunked'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('te-chunked-twice', (ctx) =>
    head(
      ctx,
      'POST /f/te-twice HTTP/1.1',
      ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('te-xchunked', (ctx) =>
    head(
      ctx,
      'POST /f/te-x HTTP/1.1',
      ['Transfer-Encoding: xchunked'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('space-before-colon', (ctx) =>
    head(
      ctx,
      'POST /f/space HTTP/1.1',
      ['Transfer-Encoding : chunked', 'Content-Length: 5'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('obs-fold', (ctx) =>
    head(ctx, 'GET /f/fold HTTP/1.1', ['X-Folded: first', ' second', 'Connection: close']),
  ),
  refusal('obs-fold-te', (ctx) =>
    head(
      ctx,
      'POST /f/fold-te HTTP/1.1',
      ['Content-Length: 5', 'Transfer-Encoding: identity', ' chunked'],
      `0\r\n\r\n${smuggled(ctx.hosts.web)}`,
    ),
  ),
  refusal('bare-lf', (ctx) => `GET /f/lf HTTP/1.1\nHost: ${ctx.hosts.web}\nConnection: close\n\n`),
  refusal('bare-lf-one-line', (ctx) =>
    head(ctx, 'GET /f/lf1 HTTP/1.1', ['X-A: 1\nX-B: 2', 'Connection: close']),
  ),
  refusal('nul-in-value', (ctx) =>
    head(ctx, 'GET /f/nul HTTP/1.1', ['X-Probe: a\x00b', 'Connection: close']),
  ),
  refusal('del-in-value', (ctx) =>
    head(ctx, 'GET /f/del HTTP/1.1', ['X-Probe: a\x7fb', 'Connection: close']),
  ),
  refusal('cr-in-value', (ctx) => head(ctx, 'GET /f/cr HTTP/1.1', ['X-Probe: a\rb', 'Connection: close'])),
  rawCase(GROUP, {
    id: 'bad-chunk-size',
    send: (ctx) =>
      head(
        ctx,
        'POST /f/bad-chunk HTTP/1.1',
        ['Transfer-Encoding: chunked'],
        `zz\r\nhello\r\n0\r\n\r\n${smuggled(ctx.hosts.web)}`,
      ),
    checks: () => [REFUSED, CLOSED, noCompleteRequest, SMUGGLED],
  }),
  rawCase(GROUP, {
    id: 'chunk-size-overflow',
    send: (ctx) =>
      head(
        ctx,
        'POST /f/big-chunk HTTP/1.1',
        ['Transfer-Encoding: chunked'],
        `10000000000000005\r\nhello\r\n0\r\n\r\n${smuggled(ctx.hosts.web)}`,
      ),
    checks: () => [REFUSED, CLOSED, noCompleteRequest, SMUGGLED],
  }),
  refusal('content-length-plus', (ctx) =>
    head(ctx, 'POST /f/cl-plus HTTP/1.1', ['Content-Length: +5', 'Connection: close'], 'hello'),
  ),
  refusal('absolute-form', (ctx) =>
    head(ctx, `GET http://${ctx.hosts.web}/f/abs HTTP/1.1`, ['Connection: close']),
  ),
  refusal('absolute-form-other-host', (ctx) =>
    head(ctx, `GET http://${ctx.hosts.private}/f/abs-other HTTP/1.1`, ['Connection: close']),
  ),
  refusal('options-asterisk', (ctx) => head(ctx, 'OPTIONS * HTTP/1.1', ['Connection: close'])),
  refusal('connect', (ctx) => `CONNECT ${ctx.hosts.web}:80 HTTP/1.1\r\nHost: ${ctx.hosts.web}:80\r\n\r\n`),
  refusal(
    'h2-prior-knowledge',
    () =>
      // The connection preface, then an empty SETTINGS frame.
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00',
  ),
  refusal('http-0.9-line', () => 'GET /f/http09\r\n\r\n'),
  refusal('version-2.0-line', (ctx) => head(ctx, 'GET /f/v2 HTTP/2.0', ['Connection: close'])),
  refusal('chunked-on-http-1.0', (ctx) =>
    head(ctx, 'POST /f/te10 HTTP/1.0', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n'),
  ),
  rawCase(GROUP, {
    id: 'pipelined-two',
    send: (ctx) =>
      head(ctx, 'GET /f/p1 HTTP/1.1', []) + head(ctx, 'GET /f/p2 HTTP/1.1', ['Connection: close']),
    answers: 2,
    checks: () => [answers(2, 200), inOrder('/f/p1', '/f/p2'), appGot('GET /f/p1', 'GET /f/p2')],
  }),
  rawCase(GROUP, {
    id: 'pipelined-with-body',
    send: (ctx) =>
      head(ctx, 'POST /f/p3 HTTP/1.1', ['Content-Length: 5'], 'hello') +
      head(ctx, 'GET /f/p4 HTTP/1.1', ['Connection: close']),
    answers: 2,
    checks: () => [answers(2, 200), inOrder('/f/p3', '/f/p4'), appGot('POST /f/p3', 'GET /f/p4')],
  }),
  rawCase(GROUP, {
    id: 'pipelined-gateway-host',
    send: (ctx) =>
      `GET /healthz HTTP/1.1\r\nHost: ${ctx.hosts.gateway}\r\n\r\n` +
      `GET /readyz HTTP/1.1\r\nHost: ${ctx.hosts.gateway}\r\nConnection: close\r\n\r\n`,
    answers: 2,
    checks: () => [answers(2, 200), APP_NOTHING],
  }),
];

/** Nothing complete reached the app (a head may have, its body cut off by the refusal). */
const noCompleteRequest: Check = {
  expect: 'app: no complete request',
  problem: (o) => {
    const done = o.app.find((r) => r.complete);
    return done ? `the app received ${done.method} ${done.url} complete` : undefined;
  },
};

/** The echoed answers name these targets in this order (each answer is the app's JSON record). */
const inOrder = (...urls: string[]): Check => ({
  expect: `answers in order ${urls.join(', ')}`,
  problem: (o) => {
    const got = o.exchange.responses.map((r) => {
      try {
        return (JSON.parse(r.body) as { url?: string }).url ?? '?';
      } catch {
        return '?';
      }
    });
    return got.join(' ') === urls.join(' ') ? undefined : `answers were for [${got.join(', ')}]`;
  },
});
