import { describe, expect, it } from 'vitest';
import {
  type BodyDecoder,
  ChunkedBody,
  FixedLengthBody,
} from '../../../gateway/server/http1/request-body.ts';

/** Bytes exactly as written: latin1 keeps one byte per character, controls included. */
const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `buf` from `offset` in one call: the returned offset and the data handed over. */
const feedAll = (decoder: BodyDecoder, buf: Buffer, offset = 0) => {
  const chunks: Buffer[] = [];
  const next = decoder.feed(buf, offset, (c) => chunks.push(c));
  return { next, chunks, data: Buffer.concat(chunks).toString('latin1') };
};

/** A small seeded generator (mulberry32), so random splits are the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Feeds `buf` to a fresh decoder in the pieces that `cuts` (sorted offsets) make, each piece a
 * separate Buffer. Returns the body, the absolute offset where the decoder stopped and whether it
 * finished, or `failed` when a feed returned -1.
 */
const feedPieces = (buf: Buffer, cuts: number[]) => {
  const decoder = new ChunkedBody();
  const out: Buffer[] = [];
  const bounds = [0, ...cuts, buf.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const start = bounds[k] as number;
    const piece = Buffer.from(buf.subarray(start, bounds[k + 1]));
    const next = decoder.feed(piece, 0, (c) => out.push(Buffer.from(c)));
    if (next === -1) return { failed: true as const };
    if (decoder.done) return { body: Buffer.concat(out).toString('latin1'), stop: start + next, done: true };
    expect(next).toBe(piece.length);
  }
  return { body: Buffer.concat(out).toString('latin1'), stop: buf.length, done: decoder.done };
};

/**
 * Where `chunk` sits in `buf` when it is a view of it, or -1 when it is a copy. Small Buffers share
 * Node's pool, so the same ArrayBuffer alone does not prove a view.
 */
const viewAt = (chunk: Buffer, buf: Buffer) => {
  const at = chunk.byteOffset - buf.byteOffset;
  return chunk.buffer === buf.buffer && at >= 0 && at + chunk.length <= buf.length ? at : -1;
};

const everyByte = (buf: Buffer) => Array.from({ length: buf.length - 1 }, (_, i) => i + 1);

const randomCuts = (length: number, random: () => number) => {
  const cuts = new Set<number>();
  const count = Math.floor(random() * 12);
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
};

describe('FixedLengthBody', () => {
  it('consumes exactly the length and hands the data as a view', () => {
    const buf = bytes('hello');
    const body = new FixedLengthBody(5);
    expect(body.done).toBe(false);
    const r = feedAll(body, buf);
    expect(r).toMatchObject({ next: 5, data: 'hello' });
    expect(body.done).toBe(true);
    expect(r.chunks.map((c) => viewAt(c, buf))).toEqual([0]);
  });

  it('stops at the length and leaves pipelined bytes alone', () => {
    const buf = bytes('HEAD..abcdeGET /next HTTP/1.1\r\n');
    const body = new FixedLengthBody(5);
    const r = feedAll(body, buf, 6);
    expect(r).toMatchObject({ next: 11, data: 'abcde' });
    expect(r.chunks.map((c) => viewAt(c, buf))).toEqual([6]);
    expect(body.done).toBe(true);
    // Once done, nothing more is taken.
    const again = feedAll(body, buf, 11);
    expect(again).toMatchObject({ next: 11, chunks: [] });
  });

  it('accumulates across feeds and is done only at the last byte', () => {
    const body = new FixedLengthBody(7);
    const parts = ['ab', '', 'cde', 'fgXYZ'];
    const seen: string[] = [];
    const nexts: number[] = [];
    const doneAfter: boolean[] = [];
    for (const p of parts) {
      nexts.push(body.feed(bytes(p), 0, (c) => seen.push(c.toString('latin1'))));
      doneAfter.push(body.done);
    }
    expect(seen.join('')).toBe('abcdefg');
    expect(nexts).toEqual([2, 0, 3, 2]);
    expect(doneAfter).toEqual([false, false, false, true]);
  });

  it('is done at once for a zero length and takes nothing', () => {
    const body = new FixedLengthBody(0);
    expect(body.done).toBe(true);
    expect(feedAll(body, bytes('GET / HTTP/1.1\r\n'), 0)).toMatchObject({ next: 0, chunks: [] });
    expect(body.done).toBe(true);
  });
});

describe('ChunkedBody', () => {
  const body =
    '4;name=value\r\nWiki\r\n' +
    '5 ;a;b="q s"\r\npedia\r\n' +
    'E\t; ext\r\n in\r\n\r\nchunks.\r\n' +
    '0;last=1\r\n' +
    'X-Trailer: one\r\n' +
    'Checksum: abc, def\r\n' +
    '\r\n';
  const next = 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n';
  const expected = 'Wikipedia in\r\n\r\nchunks.';

  it('decodes chunks with extensions and trailers and stops just past the final CRLF', () => {
    const prefix = 'POST / HTTP/1.1\r\n\r\n';
    const buf = bytes(prefix + body + next);
    const copy = Buffer.from(buf);
    const decoder = new ChunkedBody();
    expect(decoder.done).toBe(false);
    const r = feedAll(decoder, buf, prefix.length);
    expect(r.data).toBe(expected);
    expect(r.next).toBe(prefix.length + body.length);
    expect(decoder.done).toBe(true);
    expect(buf.equals(copy)).toBe(true);
    expect(buf.subarray(r.next).toString('latin1')).toBe(next);
    // Data comes as views into the buffer that was fed, at the data's own offsets.
    expect(r.chunks.map((c) => c.toString('latin1'))).toEqual(['Wiki', 'pedia', ' in\r\n\r\nchunks.']);
    expect(r.chunks.map((c) => viewAt(c, buf))).toEqual([
      buf.indexOf('Wiki'),
      buf.indexOf('pedia'),
      buf.indexOf(' in\r\n'),
    ]);
    // A finished body consumes nothing more.
    expect(feedAll(decoder, buf, r.next)).toMatchObject({ next: r.next, chunks: [] });
  });

  it('gives the same result when fed one byte at a time', () => {
    const buf = bytes(body + next);
    expect(feedPieces(buf, everyByte(buf))).toEqual({ body: expected, stop: body.length, done: true });
  });

  it('gives the same result for seeded random splits', () => {
    const buf = bytes(body + next);
    const random = seeded(0x5eed);
    for (let round = 0; round < 300; round++) {
      const cuts = randomCuts(buf.length, random);
      expect(feedPieces(buf, cuts), `cuts ${cuts.join(',')}`).toEqual({
        body: expected,
        stop: body.length,
        done: true,
      });
    }
  });

  it('is not done before the final CRLF', () => {
    const buf = bytes(body);
    const decoder = new ChunkedBody();
    expect(decoder.feed(buf.subarray(0, buf.length - 1), 0, () => {})).toBe(buf.length - 1);
    expect(decoder.done).toBe(false);
    expect(decoder.feed(buf, buf.length - 1, () => {})).toBe(buf.length);
    expect(decoder.done).toBe(true);
  });

  it('decodes `0\\r\\n\\r\\n` alone as an empty body', () => {
    const decoder = new ChunkedBody();
    const r = feedAll(decoder, bytes('0\r\n\r\nNEXT'));
    expect(r).toMatchObject({ next: 5, chunks: [] });
    expect(decoder.done).toBe(true);
  });

  it('accepts lowercase, uppercase and mixed hex sizes', () => {
    const data = (n: number) => 'x'.repeat(n);
    for (const [size, n] of [
      ['a', 10],
      ['A', 10],
      ['fF', 255],
      ['Ff', 255],
      ['1e', 30],
      ['1E', 30],
      ['0c', 12],
      ['000000000010', 16],
    ] as const) {
      const decoder = new ChunkedBody();
      const input = `${size}\r\n${data(n)}\r\n0\r\n\r\n`;
      const r = feedAll(decoder, bytes(input));
      expect(r.data, size).toBe(data(n));
      expect(r.next, size).toBe(input.length);
      expect(decoder.done, size).toBe(true);
    }
  });

  it('accepts a 12-digit size (it only needs the first bytes to start the data)', () => {
    const decoder = new ChunkedBody();
    const r = feedAll(decoder, bytes('ffffffffffff\r\nabc'));
    expect(r).toMatchObject({ next: 17, data: 'abc' });
    expect(decoder.done).toBe(false);
  });

  it('accepts a 1000-byte extension on every chunk line (the bound is per line)', () => {
    const ext = `;${'e'.repeat(999)}`;
    const input = `1${ext}\r\na\r\n1${ext}\r\nb\r\n0${ext}\r\n\r\n`;
    const decoder = new ChunkedBody();
    expect(feedAll(decoder, bytes(input))).toMatchObject({ next: input.length, data: 'ab' });
    expect(decoder.done).toBe(true);
  });

  it('accepts trailers well under the limit, spread over several lines', () => {
    const line = `X-T: ${'t'.repeat(1000)}\r\n`;
    const input = `0\r\n${line.repeat(10)}\r\n`;
    const decoder = new ChunkedBody();
    expect(feedAll(decoder, bytes(input))).toMatchObject({ next: input.length, chunks: [] });
    expect(decoder.done).toBe(true);
  });

  describe('rejects invalid framing with -1', () => {
    const cases: [string, string][] = [
      ['non-hex size', 'g\r\nabc\r\n0\r\n\r\n'],
      ['hex then junk', '5g\r\nhello\r\n0\r\n\r\n'],
      ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
      ['negative size', '-5\r\nhello\r\n0\r\n\r\n'],
      ['plus sign', '+5\r\nhello\r\n0\r\n\r\n'],
      ['empty size', '\r\nhello\r\n0\r\n\r\n'],
      ['extension without a size', ';x\r\nhello\r\n0\r\n\r\n'],
      ['space before the size', ' 5\r\nhello\r\n0\r\n\r\n'],
      ['13 hex digits', '0000000000005\r\nhello\r\n0\r\n\r\n'],
      ['13 significant hex digits', '1000000000000\r\nhello\r\n0\r\n\r\n'],
      ['size followed by space then CR', '5 \r\nhello\r\n0\r\n\r\n'],
      ['size followed by tab then CR', '5\t\r\nhello\r\n0\r\n\r\n'],
      ['LF without CR after the size', '5\nhello\r\n0\r\n\r\n'],
      ['CR without LF after the size', '5\rhello\r\n0\r\n\r\n'],
      ['LF without CR after an extension', '5;a=b\nhello\r\n0\r\n\r\n'],
      ['missing CR after the data', '5\r\nhello\n0\r\n\r\n'],
      ['data longer than the size', '5\r\nhelloX\r\n0\r\n\r\n'],
      ['CR without LF after the data', '5\r\nhello\r0\r\n\r\n'],
      ['LF without CR on the last-chunk line', '5\r\nhello\r\n0\n\r\n'],
      ['NUL in an extension', '5;a=\x00\r\nhello\r\n0\r\n\r\n'],
      ['control char in an extension', '5;a=\x01b\r\nhello\r\n0\r\n\r\n'],
      ['DEL in an extension', '5;a\x7f\r\nhello\r\n0\r\n\r\n'],
      ['bare LF inside an extension', '5;a\nb\r\nhello\r\n0\r\n\r\n'],
      ['extension longer than 1024 bytes', `5;${'e'.repeat(1025)}\r\nhello\r\n0\r\n\r\n`],
      ['extension on the last chunk longer than 1024 bytes', `0;${'e'.repeat(1025)}\r\n\r\n`],
      ['trailer too large (one line)', `0\r\nX-Big: ${'t'.repeat(16 * 1024)}\r\n\r\n`],
      ['trailer too large (many lines)', `0\r\n${`X-T: ${'t'.repeat(1000)}\r\n`.repeat(17)}\r\n`],
      ['trailer line starting with a space', '0\r\nA: b\r\n c\r\n\r\n'],
      ['first trailer line starting with a space', '0\r\n X: y\r\n\r\n'],
      ['trailer line starting with a tab', '0\r\nA: b\r\n\tc\r\n\r\n'],
      ['control char in a trailer', '0\r\nX: a\x01b\r\n\r\n'],
      ['NUL in a trailer', '0\r\nX: \x00\r\n\r\n'],
      ['bare LF ending a trailer line', '0\r\nX: y\n\r\n'],
      ['bare LF ending the trailer section', '0\r\nX: y\r\n\n'],
      ['bare LF as the final line', '0\r\n\n'],
      ['CR without LF as the final line', '0\r\n\rX'],
      // Whitespace between the size and ';' is as unbounded a way to keep a body going without data
      // as a long extension: it must count against the same bound.
      ['2048 blanks before an extension', `5${' '.repeat(2048)};a\r\nhello\r\n0\r\n\r\n`],
    ];

    it.each(cases)('%s (whole)', (_name, input) => {
      expect(feedAll(new ChunkedBody(), bytes(input)).next).toBe(-1);
    });

    it.each(cases)('%s (byte by byte)', (_name, input) => {
      expect(feedPieces(bytes(input), everyByte(bytes(input)))).toEqual({ failed: true });
    });
  });
});
