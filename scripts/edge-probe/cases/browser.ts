/**
 * What a browser takes from an answer during sign-in (Location, Set-Cookie), and the login post the
 * platform's login page makes: shared by the sign-in guard and flow cases.
 */
import { answerHeader } from '../checks.ts';
import type { Check, Observation, ProbeContext } from '../probe-case.ts';
import { requestText } from '../requests.ts';
import { headerValues } from '../responses.ts';

export const GROUP = 'sign-in';
/** Flow id and state in the shapes the authorize endpoint accepts. */
export const FLOW = 'probeflow01';
export const STATE = 'probestate0123456789';

/** The first answer's Location. */
export const location = (o: Observation) => {
  const r = o.exchange.responses[0];
  return r ? headerValues(r, 'location')[0] : undefined;
};

/** The value of cookie `name` in the first answer's Set-Cookie headers. */
export const setCookie = (o: Observation, name: string) => {
  const r = o.exchange.responses[0];
  for (const c of r ? headerValues(r, 'set-cookie') : [])
    if (c.startsWith(`${name}=`)) return c.slice(name.length + 1).split(';')[0];
  return undefined;
};

export const gatewayOrigin = (ctx: ProbeContext) => `http://${ctx.hosts.gateway}`;
export const loginOrigin = (ctx: ProbeContext) => new URL(ctx.gateway.loginUrl).origin;

/** `POST /auth/login` with `user`'s token (minted in context.ts) from `origin`. */
export const loginPost = (ctx: ProbeContext, user: string, origin: string) =>
  requestText({
    method: 'POST',
    target: '/auth/login',
    host: ctx.hosts.gateway,
    headers: [
      ['Origin', origin],
      ['Content-Type', 'application/x-www-form-urlencoded'],
    ],
    body: `token=${ctx.tokens.get(`user:${user}`)}`,
  });

export const noCookie = (name: string): Check =>
  answerHeader('set-cookie', `no ${name} cookie`, (v) => !v.some((c) => c.startsWith(`${name}=`)));

export const cookieSet = (name: string): Check => ({
  expect: `Set-Cookie ${name}`,
  problem: (o) => (setCookie(o, name) ? undefined : `no ${name} cookie`),
});
