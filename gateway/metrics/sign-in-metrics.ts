/**
 * Sign-in outcomes, `gateway_sign_in_total{step,result}`: each step of the browser sign-in flow and how
 * it ended, `ok` or a refusal from a closed list (so the series stay few, whatever the traffic).
 */
import { family, type MetricsPart, sample } from './exposition.ts';

/**
 * The flow's steps: the gateway host's authorize and login, the service host's callback, either sign-out,
 * and the OpenID Connect provider's interaction (gateway/oidc/: an app's sign-in through the gateway).
 */
export type SignInStep = 'authorize' | 'login' | 'callback' | 'sign_out' | 'oidc_interaction';
const STEPS: readonly SignInStep[] = ['authorize', 'login', 'callback', 'sign_out', 'oidc_interaction'];

export const SignInResult = {
  Ok: 'ok',
  /** No session yet: the browser was sent to sign in (authorize). */
  LoginRequired: 'login_required',
  /** No such service, or the policy does not let this user see it (the same 404 page). */
  NotAllowed: 'not_allowed',
  /** A malformed request: a target that is not a container host, missing fields. */
  BadRequest: 'bad_request',
  /** A user token that does not verify. */
  TokenRefused: 'token_refused',
  /** A POST from an origin that may not post (csrf_refused in the security log). */
  OriginRefused: 'origin_refused',
  /** The callback's state is not the one this browser's flow cookie holds. */
  StateMismatch: 'state_mismatch',
  /** The callback's one-time code is used, expired or for another host. */
  CodeInvalid: 'code_invalid',
  /** A service-host sign-out without the session's check (csrf_refused in the security log). */
  CheckRefused: 'check_refused',
} as const;
export type SignInResult = (typeof SignInResult)[keyof typeof SignInResult];

export class SignInMetrics implements MetricsPart {
  readonly #counts = new Map<string, number>(STEPS.map((s) => [`${s} ok`, 0]));

  /** One step ended with `result`. */
  count(step: SignInStep, result: SignInResult): void {
    const key = `${step} ${result}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  render(): string {
    const lines = [...this.#counts].map(([key, n]) => {
      const [step = '', result = ''] = key.split(' ');
      return sample('gateway_sign_in_total', { step, result }, n);
    });
    return family('gateway_sign_in_total', 'counter', 'Browser sign-in steps by how they ended.', lines);
  }
}

/** For parts built without metrics (tools, tests that do not look at them). */
export const uncountedSignIns: Pick<SignInMetrics, 'count'> = { count() {} };
