/**
 * What the Node front end refuses (`http1/request-head.ts`, `http1/request-framing.ts`) and `Deno.serve`
 * or `Bun.serve` hands a handler anyway (issue 20). The Deno and Bun adapters call `edgeRefusal` on the
 * public listener before the Host decides between proxy and control app, and answer with the Node front
 * end's refusal (`refusalResponse`): 400, `GW_ERR_BAD_REQUEST` with the same reason, `Connection: close`
 * (Bun closes; Deno keeps the connection and reads what follows with its own framing); like Node's, each
 * refusal is a security event (`edge_refused`). Only what a handler can see is
 * checked; what the runtime parses away before (Deno: bare-LF line ends; Bun: the authority of an
 * absolute-form target) is in gateway/README.md's runtime table.
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { ProxyErrorAnswer } from '../proxy/pages.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';

/** Which runtime's gaps to check; on Deno, the URL it gives a request that came without Host. */
export type EdgeRules = { runtime: 'bun' } | { runtime: 'deno'; hostlessUrl: () => string };

/** Reasons worded as the Node front end words them (its clients see the same JSON). */
const TARGET = 'the request target must start with "/"';
const VALUE = 'invalid character in a header';
const HOST = 'exactly one Host is required';
const GET_BODY = 'a GET or HEAD request with a body cannot be forwarded on this runtime';

/** Whether a field value holds a character Node refuses: a control other than HTAB, or DEL. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Node's refusal of an unreadable head, as a web Response. */
export function refusalResponse(reason: string): Response {
  const error = new GatewayError(ErrorCode.BadRequest, `Bad Request: ${reason}`, 400);
  return new Response(JSON.stringify(error.toBody()), {
    status: 400,
    headers: { 'content-type': 'application/json', connection: 'close' },
  });
}

/** The refusal, told to the security log as the Node front end's refusals are. */
export function refuseAtEdge(security: SecurityLog, reason: string, peer: string): Response {
  security.event(SecurityReason.EdgeRefused, { status: 400, refusal: reason, peer });
  return refusalResponse(reason);
}

/**
 * Deno builds `request.url` from the target when it is absolute-form and from Host otherwise: a URL
 * whose scheme or authority differs from `http://<Host>` came from a target Node would refuse. (The same
 * authority as Host cannot be told apart, and then both readings route the request to the same place.)
 */
function foreignAuthority(url: string, host: string): boolean {
  if (url.startsWith('http://') && url.startsWith(host, 7) && url.charCodeAt(7 + host.length) === 0x2f)
    return false;
  let fromHost: string;
  try {
    fromHost = new URL(`http://${host}/`).host;
  } catch {
    return false; // a Host no URL can hold: routing refuses it
  }
  try {
    const target = new URL(url);
    return target.protocol !== 'http:' || target.host !== fromHost;
  } catch {
    return true;
  }
}

/** The path of a Deno or Bun request URL (`http://host/p?q` -> `/p?q`). */
const pathPart = (url: string): string => {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? '' : url.slice(slash);
};

/** Why Node's front end would not have read this request (its refusal's reason), or undefined to go on. */
export function edgeRefusal(request: Request, rules: EdgeRules): string | undefined {
  const method = request.method;
  // Bun hands CONNECT on with the authority as its URL, Deno as `http://authority`: never a path.
  if (method === 'CONNECT') return TARGET;
  let bad = false;
  request.headers.forEach((value) => {
    if (!bad && hasControl(value)) bad = true;
  });
  if (bad) return VALUE;
  if (rules.runtime === 'deno') {
    const host = request.headers.get('host');
    if (host === null) {
      // HTTP/2 with prior knowledge, which Deno.serve answers on the same port: its requests carry
      // `:authority` (the URL's) and usually no Host. HTTP/1.x without Host gets Deno's own
      // `http://localhost:<port>` and goes on as before (Node takes it on 1.0; load-balancer checks send it).
      return request.url.startsWith(rules.hostlessUrl()) ? undefined : HOST;
    }
    // Deno reads `OPTIONS *` as the path `/*` (and refuses `*` with other methods itself).
    if (method === 'OPTIONS' && pathPart(request.url) === '/*') return TARGET;
    if (foreignAuthority(request.url, host)) return TARGET;
  }
  return undefined;
}

/**
 * Deno's and Bun's fetch refuse a body on GET and HEAD, so the proxy could only drop it and forward a
 * different request than the client sent (Node forwards it): the fetch proxy answers this instead.
 */
export const GET_BODY_REFUSED: ProxyErrorAnswer = {
  status: 400,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(new GatewayError(ErrorCode.BadRequest, `Bad Request: ${GET_BODY}`, 400).toBody()),
};
