/**
 * Resolve -> authorize -> (liveness) in one step for every adapter: the route decision, the reserved
 * `/_dg/` paths (sign-in callback, sign-out), and the access gate. Synchronous on the hot path (route and
 * session both cached).
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { ResolvedRoute } from '../store/store.ts';
import {
  type AccessGate,
  CALLBACK_PATH,
  type GateRequest,
  type GateResult,
  RESERVED_PREFIX,
  SIGN_OUT_PATH,
} from './access-gate.ts';
import type { Decider, Decision } from './decide.ts';
import { errorAnswer, type ProxyErrorAnswer, wantsHtml } from './pages.ts';

export type Outcome =
  | {
      forward: ResolvedRoute;
      identityHeaders?: string[];
      cookie?: string;
      /** Epoch ms when the session that allowed this ends (a WebSocket is closed then). */
      expiresAt?: number;
    }
  | { answer: ProxyErrorAnswer; code?: ErrorCode; route?: ResolvedRoute };

export interface GatedRequest extends GateRequest {
  host: string | undefined;
}

/** Whether `url` (path and query) is `path` itself, with or without a query. */
const isPath = (url: string, path: string) =>
  url.startsWith(path) && (url.length === path.length || url[path.length] === '?');

const isSignOut = (r: GatedRequest) => r.method === 'POST' && !r.upgrade && isPath(r.url, SIGN_OUT_PATH);

export function createGatedResolver(decider: Decider, gate: AccessGate) {
  const answerFor = (d: Extract<Decision, { error: unknown }>, r: GatedRequest): Outcome => ({
    answer: errorAnswer(d.error, wantsHtml(r.secFetchMode, r.accept)),
    code: d.error.code,
    route: d.route,
  });

  /** No route: the gate's 404, the same a refused visitor sees; sign-out works here too (it was offered). */
  const noRoute = (hostname: string, r: GatedRequest): Outcome | Promise<Outcome> => {
    if (isSignOut(r)) return gate.signOut(hostname, r).then((answer) => ({ answer }));
    const answer = gate.notFound(hostname, r);
    return answer instanceof Promise
      ? answer.then((a) => ({ answer: a, code: ErrorCode.NoRoute }))
      : { answer, code: ErrorCode.NoRoute };
  };

  const afterDecision = (d: Decision, r: GatedRequest): Outcome | Promise<Outcome> => {
    const route = 'forward' in d ? d.forward : d.route;
    if (!route) {
      const failed = d as Extract<Decision, { error: unknown }>;
      const { code, hostname } = failed.error;
      return code === ErrorCode.NoRoute && hostname !== undefined
        ? noRoute(hostname, r)
        : answerFor(failed, r);
    }
    if (r.url.startsWith(RESERVED_PREFIX)) {
      if (r.url.startsWith(CALLBACK_PATH) && r.method === 'GET' && !r.upgrade) {
        return gate.callback(route.hostname, r.url, r.cookie).then((answer) => ({ answer }));
      }
      if (isSignOut(r)) return gate.signOut(route.hostname, r).then((answer) => ({ answer }));
      return {
        answer: errorAnswer(
          { code: ErrorCode.NoRoute, hostname: route.hostname },
          wantsHtml(r.secFetchMode, r.accept),
        ),
      };
    }
    const verdict = gate.check(route, r);
    return verdict instanceof Promise
      ? verdict.then((g) => finish(d, r, route, g))
      : finish(d, r, route, verdict);
  };

  const finish = (d: Decision, r: GatedRequest, route: ResolvedRoute, g: GateResult): Outcome => {
    if (!g.allow) return { answer: g.answer, route };
    if (!('forward' in d)) return answerFor(d, r); // allowed to know: the container is offline
    const expiresAt = g.viewer?.sessionExp === undefined ? undefined : g.viewer.sessionExp * 1000;
    return { forward: route, identityHeaders: g.identityHeaders, cookie: g.cookie, expiresAt };
  };

  /** A step that failed (the store could not redeem a sign-in code): an answer, never a rejection. */
  const failed = (err: unknown, r: GatedRequest): Outcome => {
    const code =
      err instanceof GatewayError && err.code === ErrorCode.StoreUnavailable ? err.code : ErrorCode.Internal;
    return { answer: errorAnswer({ code }, wantsHtml(r.secFetchMode, r.accept)), code };
  };

  return {
    resolve(r: GatedRequest): Outcome | Promise<Outcome> {
      const d = decider.decide(r.host);
      const outcome = d instanceof Promise ? d.then((x) => afterDecision(x, r)) : afterDecision(d, r);
      return outcome instanceof Promise ? outcome.catch((err: unknown) => failed(err, r)) : outcome;
    },
  };
}
