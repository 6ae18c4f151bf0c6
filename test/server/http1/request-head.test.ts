import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HeadError,
  type HeadLimits,
  parseRequestHead,
  type RequestHead,
} from '../../../gateway/server/http1/request-head.ts';

const LIMITS: HeadLimits = { maxHeadBytes: 16 * 1024, maxHeaders: 100 };

/** Bytes exactly as written: latin1 keeps one byte per character, controls and obs-text included. */
const bytes = (s: string) => Buffer.from(s, 'latin1');

const parse = (s: string, limits: HeadLimits = LIMITS) => parseRequestHead(bytes(s), 0, limits);

/** The parse of a head that must be accepted, as a `RequestHead`. */
const accept = (s: string, limits: HeadLimits = LIMITS): RequestHead => {
  const r = parse(s, limits);
  if (r === undefined || r instanceof HeadError)
    throw new Error(`expected a head for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  return r;
};

/** Heads both this parser and Node's must accept, with what they should agree on. */
const VALID: { name: string; raw: string }[] = [
  {
    name: 'a GET with several headers and padded values',
    raw:
      'GET /index.html?q=1&r=%20x HTTP/1.1\r\n' +
      'Host: example.com\r\n' +
      'User-Agent:   curl/8.0  \r\n' +
      'Accept:\t*/*\t\r\n' +
      'X-Mixed-Case: a b\tc\r\n' +
      '\r\n',
  },
  { name: 'HTTP/1.0 without Host', raw: 'GET / HTTP/1.0\r\nAccept: text/plain\r\n\r\n' },
  { name: 'no header fields at all (HTTP/1.0)', raw: 'HEAD /x HTTP/1.0\r\n\r\n' },
  { name: 'leading empty lines', raw: '\r\n\r\nGET /after-blank HTTP/1.1\r\nHost: h\r\n\r\n' },
  {
    name: 'a POST with a body framing header',
    raw: 'POST /api/v1/items HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 0\r\nContent-Type: application/json\r\n\r\n',
  },
  { name: 'an empty field value', raw: 'GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Blank:   \r\n\r\n' },
  {
    name: 'every tchar in a field name',
    raw: "OPTIONS /opt HTTP/1.1\r\nHost: h\r\nX-!#$%&'*+.^_`|~09az: v\r\n\r\n",
  },
  {
    name: 'repeated and odd-cased names',
    raw: 'DELETE /a/b/c HTTP/1.1\r\nhOsT: h\r\nCookie: a=1\r\ncookie: b=2\r\nCOOKIE: c=3\r\n\r\n',
  },
  {
    name: 'a value with colons, quotes and visible punctuation',
    raw: 'PUT /p HTTP/1.1\r\nHost: h\r\nX-Json: {"a": "b:c", "d": [1, 2]}\r\nDate: Tue, 15 Nov 1994 08:12:31 GMT\r\n\r\n',
  },
  {
    name: 'a target with sub-delims and percent-encoding',
    raw: "PATCH /a;b=c/d,e/!$&'()*+=:@-._~%2F?x=/?y HTTP/1.1\r\nHost: h\r\n\r\n",
  },
];

describe('parseRequestHead: accepted heads', () => {
  it('parses a GET with several headers: names as sent, values trimmed, end just past the blank line', () => {
    const head =
      'GET /path?a=b HTTP/1.1\r\nHost: example.com\r\nX-Pad:  \t spaced out \t \r\nACCEPT: */*\r\n\r\n';
    const next = 'GET /second HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const buf = bytes(head + next);
    const copy = Buffer.from(buf);
    const r = parseRequestHead(buf, 0, LIMITS);
    expect(r).toEqual({
      method: 'GET',
      target: '/path?a=b',
      minor: 1,
      rawHeaders: ['Host', 'example.com', 'X-Pad', 'spaced out', 'ACCEPT', '*/*'],
      end: head.length,
    });
    // The pipelined request is left alone and parses on its own from `end`.
    expect(buf.equals(copy)).toBe(true);
    expect(parseRequestHead(buf, head.length, LIMITS)).toEqual({
      method: 'GET',
      target: '/second',
      minor: 1,
      rawHeaders: ['Host', 'example.com'],
      end: buf.length,
    });
  });

  it('gives an absolute `end` when the head starts inside the buffer', () => {
    const before = 'leftover-body-bytes';
    const head = 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n';
    const r = parseRequestHead(bytes(`${before}${head}abc`), before.length, LIMITS);
    expect(r).toMatchObject({ method: 'POST', target: '/up', end: before.length + head.length });
  });

  it('reads HTTP/1.0 as minor 0 and HTTP/1.1 as minor 1', () => {
    expect(accept('GET / HTTP/1.0\r\n\r\n').minor).toBe(0);
    expect(accept('GET / HTTP/1.1\r\nHost: h\r\n\r\n').minor).toBe(1);
  });

  it('skips empty lines before the request line, and counts them in `end`', () => {
    const raw = '\r\n\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n';
    expect(accept(raw)).toEqual({
      method: 'GET',
      target: '/x',
      minor: 1,
      rawHeaders: ['Host', 'h'],
      end: raw.length,
    });
  });

  it('keeps obs-text bytes in a value as latin1 characters', () => {
    expect(accept('GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xe9 \xff\r\n\r\n').rawHeaders).toEqual([
      'Host',
      'h',
      'X-Name',
      'caf\xe9 \xff',
    ]);
  });

  it('accepts exactly maxHeaders fields and a head of exactly maxHeadBytes', () => {
    const three = 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n';
    expect(accept(three, { maxHeadBytes: 1024, maxHeaders: 3 }).rawHeaders).toHaveLength(6);
    expect(accept(three, { maxHeadBytes: three.length, maxHeaders: 3 }).end).toBe(three.length);
  });
});

describe('parseRequestHead: incomplete heads', () => {
  it('asks for more bytes while the blank line has not arrived', () => {
    for (const s of [
      '',
      '\r',
      '\r\n',
      'G',
      'GET / HTTP/1.1',
      'GET / HTTP/1.1\r',
      'GET / HTTP/1.1\r\n',
      'GET / HTTP/1.1\r\nHost: h',
      'GET / HTTP/1.1\r\nHost: h\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\n\r',
    ])
      expect(parse(s), JSON.stringify(s)).toBeUndefined();
  });

  it('gives undefined for every proper prefix of a valid head, then the same result as the whole', () => {
    for (const { name, raw } of VALID) {
      const whole = bytes(`${raw}NEXT / HTTP/1.1\r\n`);
      const expected = parseRequestHead(whole, 0, LIMITS);
      expect(expected, name).toMatchObject({ end: raw.length });
      for (let n = 0; n < raw.length; n++)
        expect(
          parseRequestHead(whole.subarray(0, n), 0, LIMITS),
          `${name}: first ${n} bytes`,
        ).toBeUndefined();
      for (let n = raw.length; n <= whole.length; n++)
        expect(parseRequestHead(whole.subarray(0, n), 0, LIMITS), `${name}: first ${n} bytes`).toEqual(
          expected,
        );
    }
  });
});

describe('parseRequestHead: rejected heads', () => {
  const small: HeadLimits = { maxHeadBytes: 64, maxHeaders: 3 };
  const cases: [string, string, 400 | 431 | 505, HeadLimits?][] = [
    // Line ends
    ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 400],
    ['bare LF ending a field line', 'GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n', 400],
    ['bare LFs only (complete by LF rules)', 'GET / HTTP/1.1\nHost: h\n\n', 400],
    ['bare LF, head incomplete', 'GET / HTTP/1.1\r\nHost: h\n', 400],
    ['bare LF after the request line, head incomplete', 'GET / HTTP/1.1\n', 400],
    ['bare LF before the request line', '\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['bare LF after a skipped empty line, head incomplete', '\r\n\nGET /', 400],
    ['LF LF ending the head after CRLF field lines', 'GET / HTTP/1.1\r\nHost: h\r\n\n', 400],
    ['bare CR inside a field value', 'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 400],
    ['bare CR before the blank line', 'GET / HTTP/1.1\r\nHost: h\r\r\n\r\n', 400],
    // Field lines
    ['obs-fold with a space', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n', 400],
    ['obs-fold with a tab', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n', 400],
    ['whitespace before the first field line', 'GET / HTTP/1.1\r\n Host: h\r\n\r\n', 400],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400],
    ['tab before the colon', 'GET / HTTP/1.1\r\nHost\t: h\r\n\r\n', 400],
    ['empty field name', 'GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n', 400],
    ['no colon', 'GET / HTTP/1.1\r\nHost h\r\n\r\n', 400],
    ['"(" in a name', 'GET / HTTP/1.1\r\nX(y): v\r\n\r\n', 400],
    ['"@" in a name', 'GET / HTTP/1.1\r\nX@y: v\r\n\r\n', 400],
    ['quote in a name', 'GET / HTTP/1.1\r\nX"y: v\r\n\r\n', 400],
    ['NUL in a name', 'GET / HTTP/1.1\r\nX\x00: v\r\n\r\n', 400],
    ['obs-text in a name', 'GET / HTTP/1.1\r\nX\xe9: v\r\n\r\n', 400],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: h\x00evil\r\n\r\n', 400],
    ['CR in a value', 'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 400],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n', 400],
    ['other control in a value', 'GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n', 400],
    ['US control in a value', 'GET / HTTP/1.1\r\nHost: a\x1fb\r\n\r\n', 400],
    ['vertical tab trailing a value', 'GET / HTTP/1.1\r\nHost: h\x0b\r\n\r\n', 400],
    // Request line: method and target
    ['empty method', ' / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['whitespace before the method', ' GET / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['invalid method character', 'GE(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['tab as the request line separator', 'GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['space in the target', 'GET /a b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['tab in the target', 'GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['control in the target', 'GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['DEL in the target', 'GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['non-ASCII in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['absolute-form target', 'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n', 400],
    ['asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['authority-form target', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400],
    ['relative target', 'GET index.html HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    // Request line: version
    ['missing version', 'GET /\r\nHost: h\r\n\r\n', 400],
    ['empty version', 'GET / \r\nHost: h\r\n\r\n', 400],
    ['request line alone, no version', 'GET /\r\n\r\n', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
    ['HTTP/3.0', 'GET / HTTP/3.0\r\nHost: h\r\n\r\n', 505],
    ['HTTP/0.9', 'GET / HTTP/0.9\r\n\r\n', 505],
    ['trailing space after the version', 'GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 400],
    ['junk after the version', 'GET / HTTP/1.1 x\r\nHost: h\r\n\r\n', 400],
    ['version glued to junk', 'GET / HTTP/1.1x\r\nHost: h\r\n\r\n', 400],
    ['three-digit minor', 'GET / HTTP/1.10\r\nHost: h\r\n\r\n', 400],
    ['no minor', 'GET / HTTP/1\r\nHost: h\r\n\r\n', 400],
    ['lowercase http/1.1', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400],
    ['mixed-case Http/1.1', 'GET / Http/1.1\r\nHost: h\r\n\r\n', 400],
    ['non-ASCII digit in the version', 'GET / HTTP/\xb9.1\r\nHost: h\r\n\r\n', 400],
    // Limits
    ['one field too many', 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n', 431, small],
    [
      'head one byte over maxHeadBytes, complete',
      `GET /${'a'.repeat(38)} HTTP/1.1\r\nHost: h\r\n\r\n`,
      431,
      small,
    ],
    ['head over maxHeadBytes, incomplete', `GET /${'a'.repeat(70)}`, 431, small],
    ['field line over maxHeadBytes, incomplete', `GET / HTTP/1.1\r\nX: ${'v'.repeat(60)}`, 431, small],
    ['much too large and incomplete', `GET / HTTP/1.1\r\nCookie: ${'c'.repeat(20_000)}`, 431],
  ];

  it('checks the size of the over-limit cases', () => {
    // The complete over-limit head above is exactly one byte over, and its shorter twin fits.
    const over = `GET /${'a'.repeat(38)} HTTP/1.1\r\nHost: h\r\n\r\n`;
    expect(over.length).toBe(small.maxHeadBytes + 1);
    expect(accept(over.replace('a', ''), small).end).toBe(small.maxHeadBytes);
  });

  it.each(cases)('%s', (_name, raw, status, limits) => {
    const r = parse(raw, limits ?? LIMITS);
    expect(r).toBeInstanceOf(HeadError);
    expect(r).toMatchObject({ status });
    expect((r as HeadError).reason).toMatch(/\S/);
  });

  it('rejects the same inputs when they start inside a larger buffer', () => {
    for (const [name, raw, status, limits] of cases) {
      const buf = bytes(`GET /first HTTP/1.1\r\nHost: h\r\n\r\n${raw}`);
      const first = accept('GET /first HTTP/1.1\r\nHost: h\r\n\r\n');
      expect(parseRequestHead(buf, first.end, limits ?? LIMITS), name).toMatchObject({ status });
    }
  });

  it('bounds leading empty lines: a flood of CRLFs cannot make the caller buffer forever', () => {
    // The CRLFs are not part of the head, but `undefined` tells the caller to keep every byte and wait:
    // an endless stream of empty lines would then grow the buffer without limit.
    const limits: HeadLimits = { maxHeadBytes: 64, maxHeaders: 10 };
    const r = parse('\r\n'.repeat(1000), limits);
    expect(r).toBeInstanceOf(HeadError);
    expect([400, 431]).toContain((r as HeadError).status);
  });
});

describe('parseRequestHead agrees with node:http', () => {
  type Seen = { method: string; url: string; rawHeaders: string[] };
  let server: Server;
  let port: number;
  let waiting: ((seen: Seen) => void) | undefined;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      waiting?.({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
      waiting = undefined;
      res.setHeader('connection', 'close');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `raw` on its own connection and resolves with what Node's parser made of it. */
  const viaNode = (raw: Buffer): Promise<Seen> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let response = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`node:http did not accept the request; answered ${JSON.stringify(response)}`));
      }, 5000);
      waiting = (seen) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(seen);
      };
      socket.on('data', (d) => {
        response += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('connect', () => socket.write(raw));
    });

  it.each(VALID)('$name', async ({ raw }) => {
    const buf = bytes(raw);
    const ours = parseRequestHead(buf, 0, LIMITS);
    expect(ours).toMatchObject({ end: buf.length });
    const head = ours as RequestHead;
    const node = await viaNode(buf);
    expect({ method: head.method, url: head.target, rawHeaders: head.rawHeaders }).toEqual(node);
  });

  it('also agrees on obs-text in a value', async () => {
    const buf = bytes('GET /o HTTP/1.1\r\nHost: h\r\nX-Latin: na\xefve \xa0\xff\r\n\r\n');
    const head = parseRequestHead(buf, 0, LIMITS) as RequestHead;
    expect(head).toMatchObject({ end: buf.length });
    const node = await viaNode(buf);
    expect({ method: head.method, url: head.target, rawHeaders: head.rawHeaders }).toEqual(node);
  });
});
