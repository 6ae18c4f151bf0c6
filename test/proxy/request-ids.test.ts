/** Request ids and trace context in the header scan: which are kept, which replaced, what the app gets. */
import { describe, expect, it } from 'vitest';
import { type ForwardContext, scanRequestHeaders } from '../../gateway/proxy/headers.ts';
import { isValidTraceparent, isWellFormedRequestId, RequestIds } from '../../gateway/proxy/request-ids.ts';
import { filterRawResponseHeaders, filterResponseHeaders } from '../../gateway/proxy/response-headers.ts';

const untrusted: ForwardContext = {
  clientAddress: '198.51.100.7',
  trustedPeer: false,
  keepUnderscores: false,
  ids: new RequestIds(),
};
const trusted: ForwardContext = { ...untrusted, clientAddress: '127.0.0.1', trustedPeer: true };
const HOST = ['Host', 'uc-c1.org-o1.localhost'];
const GENERATED_ID = /^[0-9a-f]{32}$/;
const GENERATED_TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;
const VALID_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Values of `name` in the headers the scan would forward. */
function sent(raw: string[], ctx: ForwardContext, name: string): string[] {
  const { headers } = scanRequestHeaders(raw, ctx);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1] as string);
  return out;
}

describe('request ids', () => {
  it("keeps a trusted peer's well-formed X-Request-Id, and sends the app exactly that one", () => {
    const raw = [...HOST, 'X-Request-Id', 'stage1:abc-123/x+y=z@eu.1_2'];
    expect(scanRequestHeaders(raw, trusted).requestId).toBe('stage1:abc-123/x+y=z@eu.1_2');
    expect(sent(raw, trusted, 'x-request-id')).toEqual(['stage1:abc-123/x+y=z@eu.1_2']);
  });

  it("replaces an untrusted client's id, a malformed one, and two of them, with a generated one", () => {
    const cases: [string[], ForwardContext][] = [
      [[...HOST, 'X-Request-Id', 'client-chosen'], untrusted],
      [[...HOST, 'X-Request-Id', 'has space'], trusted],
      [[...HOST, 'X-Request-Id', 'x'.repeat(129)], trusted],
      [[...HOST, 'X-Request-Id', ''], trusted],
      [[...HOST, 'X-Request-Id', '"quoted"'], trusted],
      [[...HOST, 'X-Request-Id', 'one', 'x-request-id', 'two'], trusted],
      [HOST, trusted],
    ];
    const seen = new Set<string>();
    for (const [raw, ctx] of cases) {
      const scanned = scanRequestHeaders(raw, ctx);
      expect(scanned.requestId, raw.join(' ')).toMatch(GENERATED_ID);
      expect(sent(raw, ctx, 'x-request-id')).toHaveLength(1);
      seen.add(scanned.requestId);
    }
    expect(seen.size).toBe(cases.length);
  });

  it('never lets an X_Request_Id spelling through, even with UNDERSCORE_HEADERS=keep', () => {
    const ctx = { ...trusted, keepUnderscores: true };
    const scanned = scanRequestHeaders([...HOST, 'X_Request_Id', 'forged', 'Trace_Parent', 'x'], ctx);
    expect(scanned.dropped).toEqual(['x_request_id']);
    expect(scanned.headers).not.toContain('forged');
  });

  it('defines well-formed: 1 to 128 characters of A-Z a-z 0-9 . _ : @ / + = -', () => {
    for (const id of ['a', 'x'.repeat(128), 'A-Z.a_z:0@9/+='])
      expect(isWellFormedRequestId(id), id).toBe(true);
    for (const id of ['', 'x'.repeat(129), 'a b', 'a,b', 'é', 'a\tb', 'a"b', 'a\\\\b'])
      expect(isWellFormedRequestId(id), id).toBe(false);
  });
});

describe('trace context', () => {
  it('passes a valid traceparent and its tracestate through unchanged', () => {
    const raw = [
      ...HOST,
      'traceparent',
      VALID_TRACEPARENT,
      'tracestate',
      'congo=t61rcWkgMzE',
      'tracestate',
      'rojo=00f0',
    ];
    expect(sent(raw, untrusted, 'traceparent')).toEqual([VALID_TRACEPARENT]);
    expect(sent(raw, untrusted, 'tracestate')).toEqual(['congo=t61rcWkgMzE,rojo=00f0']);
    expect(scanRequestHeaders(raw, untrusted).traceparent).toBe(VALID_TRACEPARENT);
  });

  it('starts a trace (version 00, random ids, flags 00) when none or a malformed one came, and drops its tracestate', () => {
    const malformed = [
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', // no flags
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', // uppercase
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff
      `${VALID_TRACEPARENT}-extra`, // version 00 has no more fields
    ];
    for (const value of malformed) {
      const raw = [...HOST, 'traceparent', value, 'tracestate', 'congo=t61rcWkgMzE'];
      const [traceparent, ...more] = sent(raw, untrusted, 'traceparent');
      expect(traceparent, value).toMatch(GENERATED_TRACEPARENT);
      expect(more).toEqual([]);
      expect(sent(raw, untrusted, 'tracestate')).toEqual([]);
    }
    const twice = [...HOST, 'traceparent', VALID_TRACEPARENT, 'traceparent', VALID_TRACEPARENT];
    expect(sent(twice, untrusted, 'traceparent')[0]).not.toBe(VALID_TRACEPARENT);
    expect(sent(HOST, untrusted, 'traceparent')[0]).toMatch(GENERATED_TRACEPARENT);
    expect(isValidTraceparent(scanRequestHeaders(HOST, untrusted).traceparent)).toBe(true);
  });

  it("names the trace it starts by the request's id when the gateway made both", () => {
    const made = scanRequestHeaders(HOST, untrusted);
    expect(made.traceparent.slice(3, 35)).toBe(made.requestId);
    const kept = scanRequestHeaders([...HOST, 'X-Request-Id', 'stage1-id'], trusted);
    expect(kept.traceparent).toMatch(GENERATED_TRACEPARENT);
  });

  it('accepts a later version with more fields (forward compatibility)', () => {
    expect(isValidTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future')).toBe(true);
  });
});

describe("the answer's X-Request-Id", () => {
  it("is the request's, in place of any the app sent", () => {
    const raw = ['Content-Type', 'text/plain', 'X-Request-Id', 'app-own', 'x-request-id', 'again'];
    const strings = filterResponseHeaders(raw, 'gw-id');
    expect(strings).toEqual(['Content-Type', 'text/plain', 'x-request-id', 'gw-id']);
    const buffers = filterRawResponseHeaders(
      raw.map((h) => Buffer.from(h)),
      'gw-id',
    ).map(String);
    expect(buffers).toEqual(['Content-Type', 'text/plain', 'x-request-id', 'gw-id']);
  });
});
