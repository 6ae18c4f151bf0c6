/** The checks cases are made of: the answer's status and headers, the connection, what the app got. */
import type { AppRecord } from './app.ts';
import { type Check, CLOSED, type Observation } from './probe-case.ts';
import { type HttpResponse, headerValues } from './responses.ts';

export { CLOSED };

const first = (o: Observation): HttpResponse | undefined => o.exchange.responses[0];
/** Header names as WSGI, CGI and PHP read them: case and `_`/`-` do not matter. */
export const canonical = (name: string) => name.toLowerCase().replaceAll('_', '-');

/** The first answer's status is `code`. */
export const status = (code: number): Check => ({
  expect: String(code),
  problem: (o) => {
    const got = first(o)?.status;
    return got === code ? undefined : `status ${got ?? 'none'}, expected ${code}`;
  },
});

/** The first answer's status is one of `codes`. */
export const statusIn = (codes: number[]): Check => ({
  expect: codes.join(' or '),
  problem: (o) => {
    const got = first(o)?.status;
    return got !== undefined && codes.includes(got) ? undefined : `status ${got ?? 'none'}`;
  },
});

/**
 * Refused at the edge: HTTP/1 answers that are all 4xx/5xx, or a close with no answer at all; never a
 * success, and never bytes of another protocol.
 */
export const REFUSED: Check = {
  expect: 'refused',
  problem: (o) => {
    const { responses, rest, closed } = o.exchange;
    const ok = responses.find((r) => r.status < 400);
    if (ok) return `answered ${ok.status}`;
    if (responses.length === 0 && rest.length > 0) return 'answered with bytes that are not an HTTP/1 answer';
    if (responses.length === 0 && !closed) return 'no answer and the connection stayed open';
    return undefined;
  },
};

/** The connection was still open when the exchange ended. */
export const keptOpen = (why: string): Check => ({
  expect: `kept open (${why})`,
  problem: (o) => (o.exchange.closed ? 'the connection was closed' : undefined),
});

/** Exactly `n` complete answers, every one `code`. */
export const answers = (n: number, code: number): Check => ({
  expect: `${n} answers, all ${code}`,
  problem: (o) => {
    const got = o.exchange.responses.map((r) => r.status);
    return got.length === n && got.every((s) => s === code) ? undefined : `answers: [${got.join(', ')}]`;
  },
});

/** The app received nothing at all (not even a head it could not parse). */
export const APP_NOTHING: Check = {
  expect: 'app: nothing',
  problem: (o) => (o.app.length === 0 ? undefined : `the app received ${o.app.length} request(s)`),
};

/** The app received exactly these requests (`METHOD url`), in order, each complete. */
export const appGot = (...requests: string[]): Check => ({
  expect: `app: ${requests.join(', ')}`,
  problem: (o) => {
    const got = o.app.map((r) => (r.parseError ? `unparsable (${r.parseError})` : `${r.method} ${r.url}`));
    if (got.join('\n') !== requests.join('\n')) return `the app received [${got.join(', ')}]`;
    const cut = o.app.find((r) => !r.complete);
    return cut ? `${cut.method} ${cut.url} reached the app cut off` : undefined;
  },
});

/** No request the app received contains `needle` in its target or body (a smuggled request). */
export const nothingSmuggled = (needle: string): Check => ({
  expect: `app: no "${needle}"`,
  problem: (o) => {
    const hit = o.app.find((r) => r.url.includes(needle) || r.body.includes(needle));
    return hit ? `"${needle}" reached the app (${hit.method} ${hit.url})` : undefined;
  },
});

/** Values of a header the app received, matched case- and separator-insensitively. */
export const received = (r: AppRecord | undefined, name: string): string[] =>
  (r?.headers ?? []).filter(([n]) => canonical(n) === canonical(name)).map(([, v]) => v);

/** The app's (first) request carries `name` with exactly these values (none: absent, in any spelling). */
export const appHeader = (name: string, values: string[]): Check => ({
  expect: values.length === 0 ? `app: no ${name}` : `app ${name}: ${values.join(', ')}`,
  problem: (o) => {
    if (o.app.length === 0) return `the app received nothing (checking ${name})`;
    const got = received(o.app[0], name);
    return got.join('\n') === values.join('\n') ? undefined : `app ${name}: [${got.join(', ')}]`;
  },
  note: (o) => {
    const got = received(o.app[0], name);
    return `app ${name}: ${got.length === 0 ? 'absent' : got.join(', ')}`;
  },
});

/** No request the app received carries a header with this value (whatever its name). */
export const appNoValue = (value: string): Check => ({
  expect: `nor "${value}" under any name`,
  problem: (o) => {
    for (const r of o.app)
      for (const [n, v] of r.headers) if (v.includes(value)) return `the app received ${n}: ${v}`;
    return undefined;
  },
});

/** The first answer's header `name` passes `test` (values in order; none: []). */
export const answerHeader = (name: string, expect: string, test: (values: string[]) => boolean): Check => ({
  expect,
  problem: (o) => {
    const r = first(o);
    if (!r) return `no answer (checking ${name})`;
    const values = headerValues(r, name);
    return test(values) ? undefined : `answer ${name}: [${values.join(' | ')}]`;
  },
  note: (o) => {
    const r = first(o);
    const values = r ? headerValues(r, name) : [];
    return `answer ${name}: ${values.length === 0 ? 'absent' : values.join(' | ')}`;
  },
});

/** The first answer's body passes `test`. */
export const answerBody = (expect: string, test: (body: string) => boolean): Check => ({
  expect,
  problem: (o) => {
    const r = first(o);
    if (!r) return 'no answer';
    return test(r.body) ? undefined : `body: ${r.body.slice(0, 160).replace(/\s+/g, ' ')}`;
  },
});

/** The first answer is a JSON error with this code. */
export const errorCode = (code: string): Check =>
  answerBody(code, (body) => {
    try {
      return (JSON.parse(body) as { error?: { code?: string } }).error?.code === code;
    } catch {
      return false;
    }
  });

/** The connection closed within `ms` of the connect. */
export const closedWithin = (ms: number): Check => ({
  expect: `closed within ${ms / 1000} s`,
  problem: (o) => {
    const after = o.exchange.closedAfterMs;
    if (after === undefined) return 'the connection stayed open';
    return after <= ms ? undefined : `closed after ${after} ms`;
  },
  note: (o) =>
    o.exchange.closedAfterMs === undefined ? undefined : `closed after ${o.exchange.closedAfterMs} ms`,
});
