/**
 * A browser's sign-in walked step by step with curl in the front namespace, each step sent to a chosen
 * gateway of the pool (`--connect-to`), one cookie jar throughout (curl keeps host-only cookies per host,
 * as a browser does). The steps (README "Browser access"): a navigation to the service host (302 to the
 * authorize endpoint, flow cookie), the platform's login form posted to /auth/login (303 back to authorize,
 * dg_gw), authorize (302 to the service host's callback with a one-time code from the store), the callback
 * (302 to the original URL, dg_session), and the original URL again.
 *
 *   signInAcross(pool, { host, fqdn, userToken, gateways: {start, login, authorize, callback, after} })
 *     -> { steps: [{ step, gateway, status, location }], final: { status, body } }
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from '../support/pool-topology.ts';

type Step = 'start' | 'login' | 'authorize' | 'callback' | 'after';

export interface SignInWalk {
  steps: { step: Step; gateway: number; status: number; location: string }[];
  final: { status: number; body: string };
}

interface Answer {
  status: number;
  location: string;
  body: string;
}

function parse(raw: string): Answer {
  // With -i, curl prints the head then the body; a 100 Continue head may come first.
  const heads = raw.split(/\r?\n\r?\n/);
  let at = 0;
  while (/^HTTP\/\S+ 100/.test(heads[at] ?? '')) at++;
  const head = heads[at] ?? '';
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(head)?.[1] ?? 0);
  const location = /^location:\s*(\S+)/im.exec(head)?.[1] ?? '';
  return { status, location, body: heads.slice(at + 1).join('\n\n') };
}

export async function signInAcross(
  pool: Pool,
  o: {
    host: string;
    fqdn: string;
    userToken: string;
    path?: string;
    gateways: Record<Step, number>;
  },
): Promise<SignInWalk> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-pool-signin-'));
  const jar = join(dir, 'cookies');
  const steps: SignInWalk['steps'] = [];
  const go = async (step: Step, url: string, extra: string[] = []) => {
    const g = o.gateways[step];
    const backbone = pool.gateways[g - 1]?.backbone;
    if (!backbone) throw new Error(`no gateway ${g}`);
    const out = await pool.net.exec(
      pool.front.ns,
      'curl',
      [
        ...['-s', '-i', '--max-time', '10', '--connect-to', `::${backbone}:8080`, '-b', jar, '-c', jar],
        ...['-H', 'Accept: text/html', '-H', 'Sec-Fetch-Mode: navigate', ...extra, url],
      ],
      { allowFailure: true },
    );
    const answer = parse(out.stdout);
    steps.push({ step, gateway: g, status: answer.status, location: answer.location });
    return answer;
  };
  try {
    const target = `http://${o.host}${o.path ?? '/whoami'}`;
    const start = await go('start', target);
    const login = await go('login', `http://${o.fqdn}/auth/login`, [
      ...['-H', `Origin: http://${o.fqdn}`, '-H', 'Sec-Fetch-Site: same-site'],
      ...['--data-urlencode', `token=${o.userToken}`, '--data-urlencode', `next=${start.location}`],
    ]);
    const gatewayOrigin = `http://${o.fqdn}/`;
    const authorize = await go('authorize', new URL(login.location || start.location, gatewayOrigin).href);
    const callback = await go('callback', new URL(authorize.location, target).href);
    const after = await go('after', new URL(callback.location || target, target).href);
    return { steps, final: { status: after.status, body: after.body } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
