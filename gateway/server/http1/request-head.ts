/**
 * A strict HTTP/1.1 request-head parser (RFC 9112 sections 2-5) for the Node front end. It accepts only
 * what it can frame without doubt: CRLF line ends, no obs-fold, no whitespace before a colon, token
 * names, field values without control characters, origin-form targets (`/...`), HTTP/1.0 and 1.1.
 * Anything else is a `HeadError` with the status to answer, and the connection is closed.
 */

export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form: starts with `/`). */
  target: string;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minor: 0 | 1;
  /** `[name, value, name, value, ...]`: names as sent, values without surrounding whitespace. */
  rawHeaders: string[];
  /** Offset just past the blank line that ends the head. */
  end: number;
}

/** A request head that cannot be accepted, with the status to answer. */
export class HeadError {
  constructor(
    readonly status: 400 | 431 | 505,
    readonly reason: string,
  ) {}
}

export interface HeadLimits {
  /** Most bytes in a head, request line and blank line included (Node's default is 16 KiB). */
  maxHeadBytes: number;
  /** Most header fields. */
  maxHeaders: number;
}

const CR = 0x0d;
const LF = 0x0a;
/** Built once: a string needle would be converted to bytes on every search. */
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 9110 tchar: the characters of a method or a field name. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;

/** Field-value characters: HTAB, SP, VCHAR and obs-text (no CR, LF, NUL, DEL or other controls). */
const VALUE_CHAR = new Uint8Array(256);
VALUE_CHAR[0x09] = 1;
for (let c = 0x20; c <= 0xff; c++) if (c !== 0x7f) VALUE_CHAR[c] = 1;

const isToken = (s: string, from: number, to: number): boolean => {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
};

/** Visible ASCII only: no spaces or controls in a request target. */
const isTarget = (s: string): boolean => {
  if (s.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
};

const isBlank = (c: number) => c === 0x20 || c === 0x09;

/** Leading empty lines before a request line are ignored (RFC 9112 section 2.2). */
function skipEmptyLines(buf: Buffer, start: number): number {
  let i = start;
  while (i + 1 < buf.length && buf[i] === CR && buf[i + 1] === LF) i += 2;
  return i;
}

/** A LF not preceded by CR in the bytes so far: no need to wait for the rest. */
function hasBareLf(buf: Buffer, start: number): boolean {
  for (let i = buf.indexOf(LF, start); i !== -1; i = buf.indexOf(LF, i + 1))
    if (i === start || buf[i - 1] !== CR) return true;
  return false;
}

/**
 * Parses the head that starts at `start`: the head, a `HeadError`, or undefined when more bytes are
 * needed. `start` may point at leading empty lines.
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  limits: HeadLimits,
): RequestHead | HeadError | undefined {
  const from = skipEmptyLines(buf, start);
  const blank = buf.indexOf(END_OF_HEAD, from);
  if (blank === -1) {
    // Measured from `start`: leading empty lines count too, so a stream of CRLFs cannot grow forever.
    if (buf.length - start > limits.maxHeadBytes) return new HeadError(431, 'request head too large');
    if (hasBareLf(buf, from)) return new HeadError(400, 'line ends must be CRLF');
    return undefined;
  }
  const end = blank + 4;
  if (end - start > limits.maxHeadBytes) return new HeadError(431, 'request head too large');
  // latin1: one character per byte, so offsets and validation work on the bytes as sent.
  const text = buf.toString('latin1', from, blank + 2);

  const lineEnd = text.indexOf('\r\n');
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || sp2 > lineEnd || !isToken(text, 0, sp1))
    return new HeadError(400, 'malformed request line');
  const target = text.slice(sp1 + 1, sp2);
  if (!isTarget(target)) return new HeadError(400, 'the request target must start with "/"');
  const version = text.slice(sp2 + 1, lineEnd);
  let minor: 0 | 1;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  // A later 1.x is answered as 1.1 (RFC 9112 section 2.3).
  else if (/^HTTP\/1\.\d$/.test(version)) minor = 1;
  else if (/^HTTP\/\d\.\d$/.test(version)) return new HeadError(505, 'HTTP version not supported');
  else return new HeadError(400, 'malformed request line');

  const rawHeaders: string[] = [];
  let pos = lineEnd + 2;
  while (pos < text.length) {
    const eol = text.indexOf('\r\n', pos);
    if (isBlank(text.charCodeAt(pos))) return new HeadError(400, 'obsolete line folding');
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > eol || !isToken(text, pos, colon))
      return new HeadError(400, 'malformed header field');
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && isBlank(text.charCodeAt(vs))) vs++;
    while (ve > vs && isBlank(text.charCodeAt(ve - 1))) ve--;
    for (let i = vs; i < ve; i++)
      if (VALUE_CHAR[text.charCodeAt(i)] !== 1) return new HeadError(400, 'invalid character in a header');
    if (rawHeaders.length >= limits.maxHeaders * 2) return new HeadError(431, 'too many header fields');
    rawHeaders.push(text.slice(pos, colon), text.slice(vs, ve));
    pos = eol + 2;
  }
  return { method: text.slice(0, sp1), target, minor, rawHeaders, end };
}
