import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../../../gateway/server/http1/read-ahead.ts';

/** Feeds `text` in the given piece sizes; returns after which pieces `add` said a parse is worth it. */
function signals(text: string, sizes: number[]): number[] {
  const ahead = new ReadAhead();
  const bytes = Buffer.from(text, 'latin1');
  const out: number[] = [];
  let pos = 0;
  let piece = 0;
  while (pos < bytes.length) {
    const size = sizes[piece % sizes.length] as number;
    if (ahead.add(bytes.subarray(pos, pos + size))) out.push(piece);
    pos += size;
    piece++;
  }
  return out;
}

const HEAD = 'GET / HTTP/1.1\r\nHost: t\r\nX: y\r\n\r\n';

describe('ReadAhead', () => {
  it('signals once, when the blank line that ends a head arrives, however the bytes are split', () => {
    for (const sizes of [[1], [2], [3], [5], [7, 1], [HEAD.length]]) {
      const pieces = signals(HEAD, sizes);
      expect(pieces, `pieces of ${sizes}`).toHaveLength(1);
    }
    // Byte by byte: the signal comes with the very last byte.
    expect(signals(HEAD, [1])).toEqual([HEAD.length - 1]);
  });

  it('does not signal while a head is incomplete', () => {
    expect(signals('GET / HTTP/1.1\r\nHost: t\r\n', [1])).toEqual([]);
    expect(signals('GET / HTTP/1.1\r\nHost: t\r\n', [4])).toEqual([]);
  });

  it('signals a bare LF at once, also when its CR would have been in the previous read', () => {
    expect(signals('GET / HTTP/1.1\nHost', [100])).toEqual([0]);
    expect(signals('GET / HTTP/1.1\nHost', [1])).toEqual([14]);
    expect(signals('GET / HTTP/1.1\r\nHost', [15, 1])).toEqual([]);
  });

  it('gives back every byte in order, in one piece, and starts afresh after take', () => {
    const ahead = new ReadAhead();
    ahead.add(Buffer.from('GET / HTTP/1.1\r\n'));
    ahead.add(Buffer.from('Host: t\r\n'));
    expect(ahead.size).toBe(25);
    expect(ahead.take()?.toString()).toBe('GET / HTTP/1.1\r\nHost: t\r\n');
    expect(ahead.size).toBe(0);
    expect(ahead.take()).toBeUndefined();
    // The bytes taken no longer count as "before": a lone "\r\n" is not the end of a head now.
    expect(ahead.add(Buffer.from('\r\n'))).toBe(false);
  });
});
