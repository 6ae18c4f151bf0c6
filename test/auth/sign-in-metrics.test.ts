/**
 * `gateway_sign_in_total{step,result}` on a real gateway: a browser's whole flow counts each step `ok`,
 * and the usual ways it goes wrong count under their own result, never under a hostname or a path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ORG = 'org-m';
const PROJECT = 'proj-m';

describe('sign-in outcomes in /metrics', () => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  let gatewayOrigin: string;
  const service = () => `http://uc-s1.org-${ORG}.localhost:${gw.port}`;
  const counts = async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
    const samples = parsePrometheusText(text).get('gateway_sign_in_total')?.samples ?? [];
    return Object.fromEntries(
      samples.filter((s) => s.value > 0).map((s) => [`${s.labels.step} ${s.labels.result}`, s.value]),
    );
  };

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway('node', { DEFAULT_ACCESS: 'project' });
    gatewayOrigin = `http://localhost:${gw.port}`;
    const token = await gw.token('s1', PROJECT, ORG);
    for (const event of [
      `{"type":"user-container:map-http-service","name":"web","port":${up.port}}`,
      '{"type":"user-container:watchdog","system":{}}',
    ]) {
      const res = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('counts a whole flow, then each refusal under its result', async () => {
    const b = new Browserish(gw.port);
    const [, toAuthorize, toLogin] = await b.follow(await b.go(`${service()}/`), 2);
    const next = new URL(toLogin?.location ?? toAuthorize?.location ?? '').searchParams.get('next') ?? '';
    const login = await b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: new URLSearchParams({
        user_id: 'u1',
        username: 'alice',
        org: ORG,
        project: PROJECT,
        role: 'member',
        next,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
    });
    expect(login.status).toBe(303);
    const steps = await b.follow(login);
    expect(steps.at(-1)?.status).toBe(200);
    expect(await counts()).toEqual({
      'authorize login_required': 1,
      'authorize ok': 1,
      'login ok': 1,
      'callback ok': 1,
    });

    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await b.go(`${gatewayOrigin}/auth/login`, {
      method: 'POST',
      body: 'token=not.a.jwt',
      headers: { ...form, origin: gatewayOrigin },
    });
    await b.go(`${gatewayOrigin}/auth/login`, {
      method: 'POST',
      body: 'next=/',
      headers: { ...form, origin: gatewayOrigin },
    });
    await b.go(`${gatewayOrigin}/auth/logout`, {
      method: 'POST',
      body: '',
      headers: { ...form, origin: 'http://evil.example' },
    });
    await b.go(`${gatewayOrigin}/auth/authorize?host=evil.example&flow=abcdefgh&state=${'s'.repeat(16)}`);
    await b.go(`${service()}/_dg/callback?code=x&state=${'s'.repeat(16)}&flow=abcdefgh`);
    await b.go(`${service()}/_dg/callback?code=x`);
    await b.go(`${service()}/_dg/sign-out?check=wrong&path=/`, { method: 'POST' });
    await b.go(`${gatewayOrigin}/auth/logout`, {
      method: 'POST',
      body: '',
      headers: { ...form, origin: gatewayOrigin },
    });
    expect(await counts()).toEqual({
      'authorize login_required': 1,
      'authorize ok': 1,
      'authorize bad_request': 1,
      'login ok': 1,
      'login token_refused': 1,
      'login bad_request': 1,
      'callback ok': 1,
      'callback state_mismatch': 1,
      'callback bad_request': 1,
      'sign_out origin_refused': 1,
      'sign_out check_refused': 1,
      'sign_out ok': 1,
    });
  });
});
