/**
 * HTTP/1.x responses read back from raw bytes (latin1 text, one character per byte): as many complete
 * answers as the bytes hold, in order, so pipelined answers and anything after them can be told apart.
 */

export interface HttpResponse {
  statusLine: string;
  status: number;
  /** Names lowercased, in the order received; repeated fields stay separate. */
  headers: [string, string][];
  body: string;
}

export interface ParsedResponses {
  responses: HttpResponse[];
  /** Bytes after the last complete answer: an incomplete one, non-HTTP/1 bytes, or what follows a 101. */
  rest: string;
}

const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: |$)/;
/** Far above any answer a case provokes: a bound on the parse loop. */
const MAX_RESPONSES = 64;

export const headerValues = (r: HttpResponse, name: string): string[] =>
  r.headers.filter(([n]) => n === name).map(([, v]) => v);

/** The chunked body at the start of `text` and its length in bytes, or undefined while incomplete. */
function chunked(text: string): { body: string; length: number } | undefined {
  let at = 0;
  let body = '';
  for (let i = 0; i < 10_000; i++) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(text.slice(at, lineEnd).split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) {
      // Trailers (none expected) end with an empty line.
      const end = text.indexOf('\r\n\r\n', lineEnd);
      const bare = text.startsWith('\r\n', lineEnd + 2);
      if (bare) return { body, length: lineEnd + 4 };
      return end === -1 ? undefined : { body, length: end + 4 };
    }
    if (text.length < lineEnd + 2 + size + 2) return undefined;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return undefined;
}

/** Reads every complete answer in `data`; `closed` completes a close-delimited body. */
export function parseResponses(data: string, closed: boolean): ParsedResponses {
  const responses: HttpResponse[] = [];
  let at = 0;
  while (at < data.length && responses.length < MAX_RESPONSES) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const [statusLine = '', ...lines] = data.slice(at, headEnd).split('\r\n');
    const status = STATUS_LINE.exec(statusLine);
    if (!status) break;
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
    const response: HttpResponse = { statusLine, status: Number(status[1]), headers, body: '' };
    const bodyAt = headEnd + 4;
    const code = response.status;
    if (code === 101) {
      responses.push(response);
      at = bodyAt;
      break; // what follows is another protocol's bytes
    }
    if ((code >= 100 && code < 200) || code === 204 || code === 304) {
      responses.push(response);
      at = bodyAt;
      continue;
    }
    const length = headerValues(response, 'content-length')[0];
    const coding = headerValues(response, 'transfer-encoding').join(',').toLowerCase();
    if (coding.includes('chunked')) {
      const body = chunked(data.slice(bodyAt));
      if (!body) break;
      response.body = body.body;
      at = bodyAt + body.length;
    } else if (length !== undefined) {
      const n = Number(length);
      if (!Number.isInteger(n) || data.length < bodyAt + n) break;
      response.body = data.slice(bodyAt, bodyAt + n);
      at = bodyAt + n;
    } else {
      if (!closed) break;
      response.body = data.slice(bodyAt);
      at = data.length;
    }
    responses.push(response);
  }
  return { responses, rest: data.slice(at) };
}
