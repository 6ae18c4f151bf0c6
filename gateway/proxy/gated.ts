/**
 * Resolve -> authorize -> (liveness) in one step for every adapter: the route decision, the reserved
 * `/_dg/` paths, and the access gate. Synchronous on the hot path (route and session both cached).
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { ResolvedRoute } from '../store/store.ts';
import {
  type AccessGate,
  CALLBACK_PATH,
  type GateRequest,
  type GateResult,
  RESERVED_PREFIX,
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

export function createGatedResolver(decider: Decider, gate: AccessGate) {
  const answerFor = (d: Extract<Decision, { error: unknown }>, r: GatedRequest): Outcome => ({
    answer: errorAnswer(d.error, wantsHtml(r.secFetchMode, r.accept)),
    code: d.error.code,
    route: d.route,
  });

  const afterDecision = (d: Decision, r: GatedRequest): Outcome | Promise<Outcome> => {
    const route = 'forward' in d ? d.forward : d.route;
    if (!route) return answerFor(d as Extract<Decision, { error: unknown }>, r);
    if (r.url.startsWith(RESERVED_PREFIX)) {
      if (r.url.startsWith(CALLBACK_PATH) && r.method === 'GET' && !r.upgrade) {
        return gate.callback(route.hostname, r.url, r.cookie).then((answer) => ({ answer }));
      }
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

  return {
    resolve(r: GatedRequest): Outcome | Promise<Outcome> {
      const d = decider.decide(r.host);
      return d instanceof Promise ? d.then((x) => afterDecision(x, r)) : afterDecision(d, r);
    },
  };
}
