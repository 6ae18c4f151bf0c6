/**
 * Upgrades (issue 14, findings 1 and 3): a WebSocket handshake the app refuses gets an answer and then
 * the connection closes (Deno keeps it, as gateway/README.md documents); one the app never answers gets
 * a 5xx within UPSTREAM_HEADERS_TIMEOUT; `Upgrade: h2c` goes on as plain HTTP, so the app never switches.
 */
import {
  APP_NOTHING,
  answerHeader,
  appGot,
  appHeader,
  CLOSED,
  closedWithin,
  keptOpen,
  status,
  statusIn,
} from '../checks.ts';
import { type Check, type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';

const GROUP = 'upgrade';
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const DENO_KEEPS = "Deno keeps a refused handshake's connection (gateway/README.md)";

/** A WebSocket handshake to `host` (default: the public service). */
export const handshake = (ctx: ProbeContext, path: string, host = ctx.hosts.web, extra: string[] = []) =>
  `${[
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${KEY}`,
    ...extra,
  ].join('\r\n')}\r\n\r\n`;

/** The app received the handshake and did not switch. */
const appNotSwitched = (path: string): Check => ({
  expect: `app: ${path} handshake, not switched`,
  problem: (o) => {
    const r = o.app[0];
    if (o.app.length !== 1 || !r) return `the app received ${o.app.length} request(s)`;
    if (r.url !== path) return `the app received ${r.url}`;
    return r.switched ? 'the app switched protocols' : undefined;
  },
});

/** The connection closes after a refused handshake, except on Deno (documented). */
const closeAfterAnswer = (ctx: ProbeContext): Check =>
  ctx.runtime === 'deno' ? keptOpen(DENO_KEEPS) : CLOSED;

const H2C_HEADERS = [
  'Connection: Upgrade, HTTP2-Settings',
  'Upgrade: h2c',
  'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA',
];

/** The app got the h2c request as plain HTTP: no upgrade headers, no switch, no raw bytes. */
const plainH2c = (path: string): Check[] => [
  appGot(`GET ${path}`),
  appHeader('upgrade', []),
  appHeader('http2-settings', []),
  {
    expect: 'app: no switch, Connection without upgrade',
    problem: (o) => {
      const r = o.app[0];
      if (!r) return 'the app received nothing';
      if (r.upgrade || r.switched) return 'the app was asked to switch protocols';
      if (r.afterSwitch !== '') return 'raw bytes reached the app after a switch';
      const connection = r.headers.filter(([n]) => n.toLowerCase() === 'connection').map(([, v]) => v);
      return connection.some((v) => /upgrade/i.test(v))
        ? `app Connection: ${connection.join(', ')}`
        : undefined;
    },
  },
];

export const upgradeCases: ProbeCase[] = [
  rawCase(GROUP, {
    id: 'ws-accepted',
    send: (ctx) => handshake(ctx, '/u/ws'),
    checks: () => [status(101), appGot('GET /u/ws')],
  }),
  rawCase(GROUP, {
    id: 'ws-refused-by-app',
    send: (ctx) => handshake(ctx, '/refuse'),
    untilClosed: true,
    timeoutMs: 8_000,
    checks: (ctx) => [
      status(404),
      answerHeader('x-internal', 'answer: no X-Internal', (v) => v.length === 0),
      answerHeader('keep-alive', 'no Keep-Alive', (v) => v.length === 0),
      answerHeader('set-cookie', 'no dg_* Set-Cookie', (v) => !v.some((c) => c.trim().startsWith('dg_'))),
      closeAfterAnswer(ctx),
      appNotSwitched('/refuse'),
    ],
  }),
  rawCase(GROUP, {
    id: 'ws-app-silent',
    send: (ctx) => handshake(ctx, '/silent'),
    untilClosed: true,
    timeoutMs: 9_000,
    checks: (ctx) => [
      statusIn([502, 504]),
      ...(ctx.runtime === 'deno' ? [keptOpen(DENO_KEEPS)] : [closedWithin(7_000)]),
      appNotSwitched('/silent'),
    ],
  }),
  rawCase(GROUP, {
    id: 'ws-protected-no-session',
    send: (ctx) => handshake(ctx, '/u/private', ctx.hosts.private),
    checks: () => [status(401), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'h2c-upgrade',
    send: (ctx) =>
      `${[`GET /u/h2c HTTP/1.1`, `Host: ${ctx.hosts.web}`, ...H2C_HEADERS].join('\r\n')}\r\n\r\n`,
    checks: () => [status(200), ...plainH2c('/u/h2c')],
  }),
  rawCase(GROUP, {
    id: 'h2c-then-h2-bytes',
    // The smuggling attempt in full: after the upgrade request, HTTP/2 bytes for the app to read raw.
    send: (ctx) => [
      `${[`GET /u/h2c-2 HTTP/1.1`, `Host: ${ctx.hosts.web}`, ...H2C_HEADERS].join('\r\n')}\r\n\r\n`,
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00',
    ],
    gapMs: 300,
    answers: 2,
    timeoutMs: 4_000,
    checks: () => [
      status(200),
      ...plainH2c('/u/h2c-2'),
      {
        expect: 'then the HTTP/2 bytes refused or the connection closed',
        problem: (o) => {
          const next = o.exchange.responses[1];
          if (next && next.status < 400) return `the HTTP/2 bytes were answered ${next.status}`;
          if (!next && !o.exchange.closed)
            return 'no answer to the HTTP/2 bytes and the connection stayed open';
          return undefined;
        },
      },
    ],
  }),
];
