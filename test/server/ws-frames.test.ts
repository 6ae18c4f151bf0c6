/**
 * The client-side WebSocket frame codec of the Deno adapter's upstream sockets: frames an app sends
 * (unmasked) read into messages across any split of the bytes, every RFC 6455 violation answered with its
 * close code, and frames towards the app masked with a fresh key.
 */
import { describe, expect, it } from 'vitest';
import {
  closePayload,
  encodeFrame,
  FrameReader,
  type FrameSink,
  MESSAGE_TOO_BIG,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_TEXT,
  PROTOCOL_ERROR,
  readClose,
} from '../../gateway/server/ws-frames.ts';

/** A frame as a server writes it: unmasked, `fin` and opcode as given. */
function serverFrame(opcode: number, payload: Buffer, fin = true, extraBits = 0): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | extraBits | opcode, length])
      : length < 65_536
        ? Buffer.from([(fin ? 0x80 : 0) | extraBits | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([
            Buffer.from([(fin ? 0x80 : 0) | extraBits | opcode, 127, 0, 0, 0, 0]),
            Buffer.from([length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]),
          ]);
  return Buffer.concat([head, payload]);
}

/** What a reader hands on for `bytes` fed in pieces of `step` bytes, and the close code it answered. */
function read(bytes: Buffer, step = bytes.length, maxMessage = 1 << 24) {
  const reader = new FrameReader(maxMessage);
  const seen: [string, string][] = [];
  const sink: FrameSink = {
    message: (opcode, payload) =>
      seen.push([opcode === OPCODE_TEXT ? 'text' : 'binary', payload.toString('latin1')]),
    control: (opcode, payload) => seen.push([`control ${opcode}`, payload.toString('latin1')]),
  };
  for (let i = 0; i < bytes.length; i += step) {
    const refused = reader.push(bytes.subarray(i, i + step), sink);
    if (refused !== undefined) return { seen, refused };
  }
  return { seen, refused: undefined };
}

/** Unmasks a frame `encodeFrame` wrote: its opcode, fin, and payload. */
function unmask(frame: Buffer) {
  const [b0 = 0, b1 = 0] = frame;
  expect(b1 & 0x80).toBe(0x80); // masked, as a client must
  let length = b1 & 0x7f;
  let at = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    length = frame.readUInt32BE(6);
    at = 10;
  }
  const key = frame.subarray(at, at + 4);
  const payload = Buffer.from(frame.subarray(at + 4));
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
  expect(payload.length).toBe(length);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, key: key.toString('hex') };
}

describe('FrameReader', () => {
  const big = Buffer.alloc(70_000, 'b');
  const stream = Buffer.concat([
    serverFrame(OPCODE_TEXT, Buffer.from('hello')),
    serverFrame(OPCODE_BINARY, Buffer.alloc(300, 'm')),
    serverFrame(OPCODE_BINARY, big),
    serverFrame(OPCODE_TEXT, Buffer.from('frag'), false),
    serverFrame(OPCODE_PING, Buffer.from('p')), // control frames may come between fragments
    serverFrame(0x0, Buffer.from('ment'), false),
    serverFrame(0x0, Buffer.from('ed'), true),
    serverFrame(OPCODE_CLOSE, closePayload(1000, 'bye')),
    serverFrame(OPCODE_CLOSE, Buffer.alloc(0)),
  ]);
  const expected = [
    ['text', 'hello'],
    ['binary', 'm'.repeat(300)],
    ['binary', big.toString('latin1')],
    [`control ${OPCODE_PING}`, 'p'],
    ['text', 'fragmented'],
    [`control ${OPCODE_CLOSE}`, closePayload(1000, 'bye').toString('latin1')],
    [`control ${OPCODE_CLOSE}`, ''],
  ];

  it.each([1, 2, 3, 7, 64, 1000, stream.length])(
    'reads messages whatever the split (%i bytes a read)',
    (step) => {
      expect(read(stream, step)).toEqual({ seen: expected, refused: undefined });
    },
  );

  it.each([
    ['a masked frame', Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x41]), PROTOCOL_ERROR],
    [
      'an RSV bit (no extension was agreed)',
      serverFrame(OPCODE_TEXT, Buffer.from('x'), true, 0x40),
      PROTOCOL_ERROR,
    ],
    ['a fragmented control frame', serverFrame(OPCODE_PING, Buffer.from('x'), false), PROTOCOL_ERROR],
    ['a control frame over 125 bytes', serverFrame(OPCODE_PING, Buffer.alloc(126)), PROTOCOL_ERROR],
    ['a continuation with no message under way', serverFrame(0x0, Buffer.from('x')), PROTOCOL_ERROR],
    ['a reserved opcode', serverFrame(0x3, Buffer.from('x')), PROTOCOL_ERROR],
    [
      'a new message inside a fragmented one',
      Buffer.concat([
        serverFrame(OPCODE_TEXT, Buffer.from('a'), false),
        serverFrame(OPCODE_TEXT, Buffer.from('b')),
      ]),
      PROTOCOL_ERROR,
    ],
    ['a length past 4 GiB', Buffer.from([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0]), MESSAGE_TOO_BIG],
  ])('refuses %s', (_, bytes, code) => {
    expect(read(bytes).refused).toBe(code);
  });

  it('refuses a message larger than its limit, also when it comes in fragments', () => {
    expect(read(serverFrame(OPCODE_BINARY, Buffer.alloc(2_000)), 100, 1_000).refused).toBe(MESSAGE_TOO_BIG);
    const fragments = Buffer.concat([
      serverFrame(OPCODE_BINARY, Buffer.alloc(600), false),
      serverFrame(0x0, Buffer.alloc(600), true),
    ]);
    expect(read(fragments, 100, 1_000)).toMatchObject({ seen: [], refused: MESSAGE_TOO_BIG });
    // A frame refused for its size is refused from its head, before its payload has arrived.
    expect(read(serverFrame(OPCODE_BINARY, Buffer.alloc(2_000)).subarray(0, 4), 4, 1_000).refused).toBe(
      MESSAGE_TOO_BIG,
    );
  });
});

describe('encodeFrame', () => {
  it.each([0, 5, 125, 126, 65_535, 65_536, 200_000])(
    'masks a %i-byte payload that unmasks to itself',
    (size) => {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 7) & 0xff;
      const frame = unmask(encodeFrame(OPCODE_BINARY, payload));
      expect(frame).toMatchObject({ fin: true, opcode: OPCODE_BINARY });
      expect(frame.payload.equals(payload)).toBe(true);
    },
  );

  it('uses a fresh masking key for every frame', () => {
    const keys = new Set(
      Array.from({ length: 2_000 }, () => unmask(encodeFrame(OPCODE_TEXT, Buffer.from('k'))).key),
    );
    expect(keys.size).toBeGreaterThan(1_990); // 2,000 random 32-bit keys: a repeat is rare, a constant key is not
  });
});

describe('close frames', () => {
  it('writes a code and a reason cut to 123 bytes on a whole character, and reads them back', () => {
    const payload = closePayload(4001, `${'a'.repeat(122)}é and more`);
    expect(payload.length).toBe(2 + 122); // 'é' (2 bytes) would end at byte 124: cut before it
    expect(readClose(payload)).toEqual({ code: 4001, reason: 'a'.repeat(122) });
  });

  it('writes no payload for the codes never sent (1005, 1006, 1015), and reads none as 1005', () => {
    for (const code of [1005, 1006, 1015]) expect(closePayload(code, 'x').length).toBe(0);
    expect(readClose(Buffer.alloc(0))).toEqual({ code: 1005, reason: '' });
  });

  it('refuses a malformed close: one byte, a code never sent, a reason that is not UTF-8', () => {
    expect(readClose(Buffer.from([0x03]))).toBeUndefined();
    expect(readClose(Buffer.from([0x03, 0xee]))).toBeUndefined(); // 1006
    expect(readClose(Buffer.from([0x03, 0xe8, 0xff]))).toBeUndefined();
  });
});
