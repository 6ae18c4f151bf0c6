/**
 * The service host's `/_dg/sign-out` through every runtime's adapter (Node's own HTTP/1.1 front end,
 * `fetch` on Deno and Bun): the reserved path reaches the access gate, which ends the session with the
 * page's check and refuses a post without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, RUNTIMES, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const HOST = 'uc-svc.org-org-a.localhost';

describe.each(RUNTIMES)('sign-out on the service host (%s)', (runtime) => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  const url = (path: string) => `http://${HOST}:${gw.port}${path}`;

  const map = async (access: string) => {
    const token = await gw.token('svc', 'proj-a', 'org-a', 'u-zed');
    const post = (event: string) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
    expect(
      (
        await post(
          `{"type":"user-container:map-http-service","name":"web","port":${up.port},"access":"${access}"}`,
        )
      ).status,
    ).toBe(200);
    expect((await post('{"type":"user-container:watchdog","system":{}}')).status).toBe(200);
  };

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway(runtime, { DEFAULT_ACCESS: 'project' });
    await map('project');
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('ends the session with the check, refuses without it', async () => {
    const b = new Browserish(gw.port);
    const gatewayOrigin = `http://localhost:${gw.port}`;
    const start = await b.go(url('/'));
    const login = await b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: 'user_id=u-alice&username=alice&org=org-a&project=proj-a',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
    });
    expect(login.status).toBe(303);
    const signedIn = await b.follow(await b.go(start.location as string));
    expect(signedIn.at(-1)?.status).toBe(200);
    await map('owner'); // alice loses access

    const page = await b.go(url('/x'));
    expect(page.status).toBe(404);
    const action = /action="([^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&') as string;
    expect(action).toMatch(/^\/_dg\/sign-out\?check=/);
    const refused = await b.go(url('/_dg/sign-out?check=nope'), { method: 'POST', body: '' });
    expect(refused.status).toBe(403);
    expect(b.cookies(HOST).has('dg_session')).toBe(true);
    const out = await b.go(url(action), { method: 'POST', body: '' });
    expect(out.status).toBe(303);
    expect(new URL(out.location as string).pathname).toBe('/auth/authorize');
    expect(b.cookies(HOST).has('dg_session')).toBe(false);
  });
});
