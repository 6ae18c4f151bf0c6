/**
 * `/admin/openapi.json` against the gateway it describes: a real gateway (Node, on a real redis-server,
 * with ADMIN_TOKEN) with a registered container; the test walks the document, calls every documented
 * route and validates the real answers (200s and the documented errors) with ajv against the document's
 * own JSON Schemas. Deno and Bun serve the same document and the same error shape.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../gateway/control/admin.ts';
import { createLogger } from '../../gateway/log.ts';
import { legacyWatchdogBody, mapBody, ORG, PROJECT } from '../support/control.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

const ADMIN_TOKEN = 'openapi-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const CONTAINER = 'uc_doc1';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** A validator for one documented answer, resolving `$ref`s inside the document. */
function validatorFor(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...doc, $id: 'openapi.json' });
  const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
  return (path: string, method: string, status: number, type = 'application/json') => {
    const at = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[type];
    if (!at) throw new Error(`${method} ${path} documents no ${status} ${type} answer`);
    return ajv.compile({
      $ref: `openapi.json#/paths/${pointer(path)}/${method}/responses/${status}/content/${pointer(type)}/schema`,
    });
  };
}

describe('the admin API document', () => {
  let redis: TestRedis;
  let gw: GatewayProcess;
  let doc: Doc;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${gw.adminPort}${path}`, init);

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway('node', { REDIS_URL: redis.url, ADMIN_TOKEN });
    const token = await gw.token(CONTAINER, PROJECT, ORG);
    for (const body of [mapBody('terminal', 7681), legacyWatchdogBody()]) {
      const res = await fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body,
        headers: { authorization: token },
      });
      expect(res.status).toBe(200);
    }
    const res = await admin('/admin/openapi.json', { headers: auth });
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('documents every admin route, each with its answers and the error shape', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        '/admin/containers',
        '/admin/containers/{id}/revoke',
        '/admin/events',
        '/admin/gateways',
        '/admin/health',
        '/admin/routes',
        '/admin/vpn/clients',
      ]),
    );
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        expect(path, `${method} ${path}`).toMatch(/^\/admin\//);
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['200', '401', '503']),
        );
      }
  });

  it('leaves no /admin/* route the app mounts out of the document', async () => {
    const app = createAdminApp({
      log: createLogger('error', () => {}),
      readiness: [],
      metrics: () => '',
      inventory: { containers: async () => [], routes: async () => [], health: async () => [] },
      revoke: async () => {
        throw new Error('not called');
      },
      gateways: async () => [],
      vpnClients: () => [],
    });
    const inApp = await (await app.request('/admin/openapi.json')).json();
    const documented = Object.entries(inApp.paths as Doc['paths']).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const mounted = app.routes
      .filter((r) => r.path.startsWith('/admin/') && r.method !== 'ALL' && r.path !== '/admin/openapi.json')
      .map((r) => `${r.method} ${r.path}`);
    expect(new Set(mounted)).toEqual(new Set(documented));
  });

  it('every documented route exists and answers in its documented shape', async () => {
    const validate = validatorFor(doc);
    const revoke = '/admin/containers/{id}/revoke';
    // Revoking last: it removes what the reads show.
    const walk = Object.entries(doc.paths).sort(([a], [b]) => Number(a === revoke) - Number(b === revoke));
    let checked = 0;
    for (const [path, ops] of walk)
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace('{id}', CONTAINER);
        const init = { method: method.toUpperCase(), headers: auth };
        if (op.responses['200']?.content?.['text/event-stream']) {
          // The live feed: its head says what it is; the stream itself is another suite's subject.
          const ctl = new AbortController();
          const res = await admin(url, { ...init, signal: ctl.signal });
          expect(res.status, path).toBe(200);
          expect(res.headers.get('content-type')).toContain('text/event-stream');
          ctl.abort();
          checked++;
          continue;
        }
        const res = await admin(url, init);
        const body = await res.json();
        // The VPN is off here: /admin/vpn/clients answers its documented 404.
        const valid = validate(path, method, res.status);
        expect(valid(body), `${method} ${path} ${res.status}: ${JSON.stringify(valid.errors)}`).toBe(true);
        expect(res.status, `${method} ${path}`).toBe(path === '/admin/vpn/clients' ? 404 : 200);
        if (res.status === 200 && Array.isArray(body)) expect(body.length, path).toBeGreaterThan(0);
        checked++;
      }
    expect(checked).toBe(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length);
    // The revoke (walked last) took the container's routes away.
    expect(await (await admin('/admin/routes', { headers: auth })).json()).toEqual([]);
  });

  it('refuses without the token (401), a bad id (400) and an unknown one (404), as documented', async () => {
    const validate = validatorFor(doc);
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of Object.keys(ops)) {
        const res = await admin(path.replace('{id}', CONTAINER), { method: method.toUpperCase() });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(validate(path, method, 401)(await res.json())).toBe(true);
      }
    const revoke = '/admin/containers/{id}/revoke';
    const bad = await admin('/admin/containers/no%20such%20id!/revoke', { method: 'POST', headers: auth });
    const badBody = await bad.json();
    expect([bad.status, badBody.error.code]).toEqual([400, 'GW_ERR_BAD_REQUEST']);
    expect(validate(revoke, 'post', 400)(badBody)).toBe(true);
    const unknown = await admin('/admin/containers/uc_never_seen/revoke', { method: 'POST', headers: auth });
    const unknownBody = await unknown.json();
    expect([unknown.status, unknownBody.error.code]).toEqual([404, 'GW_ERR_UNKNOWN_CONTAINER']);
    expect(validate(revoke, 'post', 404)(unknownBody)).toBe(true);
    const missing = await admin('/admin/nothing-here', { headers: auth });
    expect([missing.status, (await missing.json()).error.code]).toEqual([404, 'GW_ERR_NOT_FOUND']);
  });

  it.each(['deno', 'bun'] as const)(
    'is served alike on %s',
    async (runtime) => {
      const other = await startGateway(runtime, {});
      try {
        const res = await fetch(`http://127.0.0.1:${other.adminPort}/admin/openapi.json`);
        expect(await res.json()).toEqual(doc);
        const bad = await fetch(`http://127.0.0.1:${other.adminPort}/admin/containers/a%20b/revoke`, {
          method: 'POST',
        });
        expect(bad.status).toBe(400);
        expect(validatorFor(doc)('/admin/containers/{id}/revoke', 'post', 400)(await bad.json())).toBe(true);
      } finally {
        await other.stop();
      }
    },
    60_000,
  );
});
