/**
 * Before the cases: container tokens minted with the development key the gateway wrote into DATA_DIR, the
 * echo app registered as a public service (`web`, the primary) and as a `project` service (`private`),
 * and a watchdog every few seconds, as a container sends, so the routes stay online however long a run is.
 */
import { mintContainerToken } from '../../gateway/auth/container-token.ts';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { mintUserToken } from '../../gateway/control/dev-login.ts';
import type { Runtime } from '../../gateway/server/runtime.ts';
import type { EchoApp } from './app.ts';
import type { Gateway } from './launch.ts';
import type { ProbeContext } from './probe-case.ts';
import { exchange } from './raw.ts';
import { mapEvent, requestText, watchdogEvent } from './requests.ts';
import type { HttpResponse } from './responses.ts';

export const ORG = 'edge';
export const PROJECT = 'p1';
/** The probe's containers: the one every case uses, one to revoke, one that tries the gateway's ports. */
export const CONTAINERS = ['probe', 'r1', 'own'] as const;
const HEARTBEAT_MS = 10_000;

export const containerHost = (container: string, service?: string) =>
  `uc-${container}${service ? `--${service}` : ''}.org-${ORG}.localhost`;

/** `POST /collab/event` with a container token, over a raw socket; the answer (or undefined). */
export async function postEvent(
  gateway: Gateway,
  token: string,
  body: string,
): Promise<HttpResponse | undefined> {
  const text = requestText({
    method: 'POST',
    target: '/collab/event',
    host: `localhost:${gateway.port}`,
    headers: [
      ['Authorization', `Bearer ${token}`],
      ['Content-Type', 'application/json'],
    ],
    body,
  });
  const seen = await exchange({ port: gateway.port, parts: [text], answers: 1, timeoutMs: 5_000 });
  return seen.responses[0];
}

export interface Prepared {
  ctx: ProbeContext;
  stopHeartbeat(): void;
}

export async function prepare(runtime: Runtime, gateway: Gateway, app: EchoApp): Promise<Prepared> {
  const devKey = await readDevKey(gateway.dataDir);
  if (!devKey) throw new Error(`the gateway wrote no development key into ${gateway.dataDir}`);
  const tokens = new Map<string, string>();
  for (const id of CONTAINERS)
    tokens.set(id, await mintContainerToken(devKey, { containerId: id, projectId: PROJECT, orgId: ORG }));
  const token = (id: string) => tokens.get(id) as string;
  // User tokens for the sign-in cases: alice may see the `project` service, bob (another org) may not.
  const user = (user_id: string, username: string, org: string) =>
    mintUserToken(devKey, { user_id, username, org, project: org === ORG ? PROJECT : '', role: 'member' });
  tokens.set('user:alice', await user('u-alice', 'alice', ORG));
  tokens.set('user:bob', await user('u-bob', 'bob', 'other'));

  const must = async (container: string, body: string) => {
    const answer = await postEvent(gateway, token(container), body);
    if (answer?.status !== 200)
      throw new Error(
        `setup event ${body} for ${container}: ${answer?.status ?? 'no answer'} ${answer?.body ?? ''}`,
      );
  };
  await must('probe', mapEvent('web', app.port, 'public'));
  await must('probe', mapEvent('private', app.port, 'project'));
  await must('probe', watchdogEvent());
  await must('r1', mapEvent('web', app.port, 'public'));
  await must('r1', watchdogEvent());

  const ctx: ProbeContext = {
    runtime,
    gateway,
    app,
    devKey,
    org: ORG,
    project: PROJECT,
    hosts: {
      gateway: `localhost:${gateway.port}`,
      alias: containerHost('probe'),
      web: containerHost('probe', 'web'),
      private: containerHost('probe', 'private'),
      revoked: containerHost('r1'),
    },
    tokens,
    state: new Map(),
    secrets: new Set([...tokens.values()]),
  };
  // Failures are seen by the cases (an offline route answers 503): the heartbeat only keeps routes alive.
  const heartbeat = setInterval(() => {
    for (const id of ['probe', 'r1'])
      if (!ctx.state.has(`revoked:${id}`))
        void postEvent(gateway, token(id), watchdogEvent()).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return { ctx, stopHeartbeat: () => clearInterval(heartbeat) };
}
