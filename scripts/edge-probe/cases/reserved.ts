/** `/_dg/` on a container hostname belongs to the gateway (README: protected services): never the app's. */
import { APP_NOTHING, status } from '../checks.ts';
import { type ProbeCase, rawCase } from '../probe-case.ts';
import { requestText } from '../requests.ts';
import { handshake } from './upgrades.ts';

const GROUP = 'reserved';

export const reservedCases: ProbeCase[] = [
  rawCase(GROUP, {
    id: 'dg-any-path',
    send: (ctx) => requestText({ target: '/_dg/anything', host: ctx.hosts.web }),
    checks: () => [status(404), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'dg-callback-incomplete',
    send: (ctx) => requestText({ target: '/_dg/callback', host: ctx.hosts.web }),
    checks: () => [status(400), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'dg-sign-out-no-session',
    send: (ctx) => requestText({ method: 'POST', target: '/_dg/sign-out', host: ctx.hosts.web, body: '' }),
    checks: () => [status(403), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'dg-websocket',
    send: (ctx) => handshake(ctx, '/_dg/ws'),
    checks: () => [status(404), APP_NOTHING],
  }),
];
