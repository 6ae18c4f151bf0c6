/**
 * What the control app tells an operator about `/collab/*` (in-process, memory store): event intake by
 * type and result, one rate-limited `request refused` line per refusal with its code and request id (never
 * a token or a body), and service registered / removed lines only when the route table changed.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { collabEventHandler } from '../../gateway/control/collab-event.ts';
import { CollabOutcomes } from '../../gateway/control/collab-outcomes.ts';
import type { ControlEnv } from '../../gateway/control/env.ts';
import { createLogger } from '../../gateway/log.ts';
import { EventIntakeMetrics } from '../../gateway/metrics/event-intake-metrics.ts';
import { createRefusalLog } from '../../gateway/refusal-log.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { ADMIN_PORT, controlHarness, legacyWatchdogBody, mapBody } from '../support/control.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';

async function observed(burst = 20) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', (l) => void lines.push(...l.split('\n').map((x) => JSON.parse(x))));
  const intake = new EventIntakeMetrics();
  const refusals = createRefusalLog(log, { burst });
  const outcomes = new CollabOutcomes(intake, refusals);
  const h = await controlHarness(new MemoryStore(), { outcomes, log, bodyLimitBytes: 1024 });
  const counts = () =>
    Object.fromEntries(
      (parsePrometheusText(intake.render()).get('gateway_events_total')?.samples ?? [])
        .filter((s) => s.value > 0)
        .map((s) => [`${s.labels.type} ${s.labels.result}`, s.value]),
    );
  return { h, lines, counts, refusals };
}

describe('event intake and refusals', () => {
  it('counts events by type and result, with made-up types as unknown', async () => {
    const { h, counts } = await observed();
    const token = await h.token();
    expect((await h.post(token, mapBody('web', 7681))).status).toBe(200);
    expect((await h.post(token, legacyWatchdogBody())).status).toBe(200);
    expect((await h.post(token, mapBody('web', 'eighty'))).status).toBe(400);
    expect((await h.post(token, '{"event":{"type":"user-container:made-up"}}')).status).toBe(400);
    expect((await h.post(token, '{not json')).status).toBe(400);
    expect((await h.post('Bearer nope', mapBody('web', 7681))).status).toBe(401);
    expect((await h.post(token, `{"pad":"${'x'.repeat(2000)}"}`)).status).toBe(413);
    expect(counts()).toEqual({
      'map-http-service ok': 1,
      'watchdog ok': 1,
      'map-http-service GW_ERR_BAD_EVENT': 1,
      'unknown GW_ERR_BAD_EVENT': 1,
      'unknown GW_ERR_BAD_JSON': 1,
      'unknown GW_ERR_UNAUTHORIZED': 1,
      'unknown GW_ERR_BODY_TOO_LARGE': 1,
    });
  });

  it('logs each refusal with its code, path and container, never the token or the body', async () => {
    const { h, lines } = await observed();
    const token = await h.token();
    await h.post(token, '{"event":{"type":"user-container:map-http-service","name":"secret-body-text"}}');
    await h.post('Bearer token-text-never-logged', mapBody('web', 7681));
    await h.post(token, `{"pad":"${'x'.repeat(2000)}"}`);
    expect(lines.filter((l) => l.msg === 'request refused')).toEqual([
      expect.objectContaining({
        level: 'warn',
        code: ErrorCode.BadEvent,
        path: '/collab/event',
        status: 400,
        event: 'map-http-service',
        containerId: 'c1',
      }),
      expect.objectContaining({ code: ErrorCode.Unauthorized, status: 401 }),
      expect.objectContaining({ code: ErrorCode.BodyTooLarge, status: 413 }),
    ]);
    const text = JSON.stringify(lines);
    for (const secret of ['secret-body-text', 'token-text-never-logged', token])
      expect(text).not.toContain(secret);
  });

  it('limits refusal lines per code, then says how many it suppressed', async () => {
    const { h, lines, refusals } = await observed(3);
    for (let i = 0; i < 10; i++) await h.post(`Bearer bad-${i}`, mapBody('web', 7681));
    await h.post(await h.token(), '{not json');
    expect(
      lines.filter((l) => l.code === ErrorCode.Unauthorized && l.msg === 'request refused'),
    ).toHaveLength(3);
    expect(lines.filter((l) => l.code === ErrorCode.BadJson)).toHaveLength(1);
    refusals.stop();
    expect(lines.at(-1)).toMatchObject({
      msg: 'refused requests suppressed',
      code: ErrorCode.Unauthorized,
      suppressed: 7,
    });
  });

  it('puts the request id in the refusal line when the app set one', async () => {
    const lines: Record<string, unknown>[] = [];
    const refusals = createRefusalLog(createLogger('info', (l) => void lines.push(JSON.parse(l))));
    const outcomes = new CollabOutcomes({ count() {} }, refusals);
    const app = new Hono<ControlEnv>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-42');
      await next();
    });
    app.use('/collab/*', outcomes.middleware);
    app.post('/collab/event', () => {
      throw new GatewayError(ErrorCode.BadEvent, 'no', 400);
    });
    app.onError((err, c) => c.json((err as GatewayError).toBody(), 400));
    await app.request('/collab/event', { method: 'POST' });
    expect(lines).toEqual([expect.objectContaining({ msg: 'request refused', requestId: 'req-42' })]);
  });
});

describe('request ids in control lines', () => {
  it('puts the request id in service lines and security events about the request', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', (l) => void lines.push(JSON.parse(l)));
    const h = await controlHarness(new MemoryStore(), { log });
    const app = new Hono<ControlEnv>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-7');
      await next();
    });
    app.post('/collab/event', collabEventHandler(h.deps));
    app.onError((err, c) => c.json((err as GatewayError).toBody(), (err as GatewayError).status as 400));
    const post = async (body: string) =>
      app.request(
        '/collab/event',
        { method: 'POST', body, headers: { authorization: await h.token() } },
        { remoteAddress: '127.0.0.1', listener: 'public' as const },
      );
    expect((await post(mapBody('web', 7681))).status).toBe(200);
    expect((await post(mapBody('admin', ADMIN_PORT))).status).toBe(403);
    expect(lines.find((l) => l.msg === 'service registered')).toMatchObject({ requestId: 'req-7' });
    expect(h.security.events).toEqual([
      ['own_listener_refused', expect.objectContaining({ requestId: 'req-7' })],
    ]);
  });
});

describe('service lines', () => {
  it('says registered when a map event changed the route table, removed when an unmap did', async () => {
    const { h, lines } = await observed();
    const token = await h.token();
    const said = () =>
      lines.filter((l) => String(l.msg).startsWith('service ')).map((l) => [l.msg, l.service, l.port]);
    await h.post(token, mapBody('web', 7681));
    await h.post(token, mapBody('web', 7681)); // the legacy 15 s repeat: nothing changed
    await h.post(token, mapBody('web', 7682));
    await h.post(token, '{"event":{"type":"user-container:unmap-http-service","name":"web"}}');
    await h.post(token, '{"event":{"type":"user-container:unmap-http-service","name":"web"}}');
    expect(said()).toEqual([
      ['service registered', 'web', 7681],
      ['service registered', 'web', 7682],
      ['service removed', 'web', undefined],
    ]);
    expect(lines.find((l) => l.msg === 'service registered')).toMatchObject({
      containerId: 'c1',
      hostname: expect.stringMatching(/^uc-c1--web\./),
      upstream: '127.0.0.1',
    });
  });
});
