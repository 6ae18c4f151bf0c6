/**
 * Error answers a person can read: small self-contained HTML pages (no external resources) for page
 * navigations, a JSON body for everything else. Rendered from a few templates; no user input is echoed
 * without escaping.
 */
import { ErrorCode } from '../../shared/errors.ts';
import { STORE_RETRY_AFTER_SECONDS } from '../store/store.ts';

export interface ProxyErrorAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/**
 * What a "Nothing here" page offers a signed-in visitor: sign out and sign in as someone else, through a
 * form posting to the page's own origin. It depends on the visitor alone, never on the service, so the
 * page says nothing about whether the address exists.
 */
export interface SignOutOffer {
  username: string;
  /** A path (and query) on the page's own origin. */
  action: string;
  /** Hidden form fields. */
  fields?: Record<string, string>;
  /** The button's text. */
  label: string;
}

export interface ProxyErrorInfo {
  code: ErrorCode;
  hostname?: string;
  service?: string;
  retryAfterSeconds?: number;
  /** An offline container's last watchdog (epoch ms); absent when it never sent one (still starting). */
  lastSeen?: number;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/** `2024-05-01 12:03:04 UTC`: the page shows no local time (it has no script). */
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

const TEXT: Partial<
  Record<
    ErrorCode,
    {
      status: number;
      title: string | ((i: ProxyErrorInfo) => string);
      message: (i: ProxyErrorInfo) => string;
    }
  >
> = {
  [ErrorCode.NoRoute]: {
    status: 404,
    title: 'Nothing here',
    message: (i) => `No service is registered at ${i.hostname ?? 'this address'}.`,
  },
  [ErrorCode.ContainerOffline]: {
    status: 503,
    // Never seen (no watchdog yet): starting. Seen, then silent: offline since its last watchdog.
    title: (i) => (i.lastSeen === undefined ? 'Starting up…' : 'Offline'),
    message: (i) =>
      i.lastSeen === undefined
        ? `The container behind ${i.hostname ?? 'this address'} is starting: it has not reported yet. This page retries by itself.`
        : `The container behind ${i.hostname ?? 'this address'} has been offline since ${utc(i.lastSeen)} (its last heartbeat). This page retries by itself.`,
  },
  [ErrorCode.UpstreamRefused]: {
    status: 502,
    title: 'Service not answering',
    message: (i) => `The service "${i.service ?? '?'}" refused the connection. Is it running?`,
  },
  [ErrorCode.UpstreamFailed]: {
    status: 502,
    title: 'Service failed',
    message: (i) => `The service "${i.service ?? '?'}" broke off its answer.`,
  },
  [ErrorCode.UpstreamTimeout]: {
    status: 504,
    title: 'Service too slow',
    message: (i) => `The service "${i.service ?? '?'}" did not answer in time.`,
  },
  [ErrorCode.Forbidden]: {
    status: 403,
    title: 'Not sent from here',
    message: () => 'This form works only from the page that showed it. Go back, reload it and try again.',
  },
  [ErrorCode.BadRequest]: {
    status: 400,
    title: 'Bad request',
    message: () => 'The request was malformed or ambiguous.',
  },
  [ErrorCode.StoreUnavailable]: {
    status: 503,
    title: 'Gateway busy',
    message: () => 'The gateway cannot read its route table right now. Try again shortly.',
  },
};

function offerHtml(offer: SignOutOffer): string {
  const fields = Object.entries(offer.fields ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<p>Signed in as <strong id="dg-user">${escapeHtml(offer.username)}</strong>.</p><form method="post" action="${escapeHtml(offer.action)}">${fields}<button type="submit" id="dg-switch-user">${escapeHtml(offer.label)}</button></form>`;
}

function page(title: string, message: string, refreshSeconds?: number, offer?: SignOutOffer): string {
  const refresh = refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}p.c{color:#777;font-size:.85rem}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${offer ? offerHtml(offer) : ''}<p class="c">Demiurge Gateway</p></body></html>`;
}

/** Whether the client is a browser navigating (HTML page) rather than a script (JSON). */
export function wantsHtml(secFetchMode: string | undefined, accept: string | undefined): boolean {
  if (secFetchMode) return secFetchMode === 'navigate';
  return accept?.includes('text/html') ?? false;
}

/** The answer for an error: a page for a browser navigating (with `offer` for a signed-in visitor), else JSON. */
export function errorAnswer(info: ProxyErrorInfo, html: boolean, offer?: SignOutOffer): ProxyErrorAnswer {
  const text = TEXT[info.code] ?? {
    status: 500,
    title: 'Gateway error',
    message: () => 'Something went wrong in the gateway.',
  };
  const message = text.message(info);
  const title = typeof text.title === 'string' ? text.title : text.title(info);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  // A store outage is answered 503 with Retry-After whichever path met it.
  const retryAfter =
    info.retryAfterSeconds ?? (info.code === ErrorCode.StoreUnavailable ? STORE_RETRY_AFTER_SECONDS : 0);
  if (retryAfter) headers['retry-after'] = String(retryAfter);
  if (html) {
    headers['content-type'] = 'text/html; charset=utf-8';
    return { status: text.status, headers, body: page(title, message, retryAfter, offer) };
  }
  headers['content-type'] = 'application/json';
  return { status: text.status, headers, body: JSON.stringify({ error: { code: info.code, message } }) };
}

/** An answer's headers as pairs for `new Headers()` / `Response` (repeated headers such as Set-Cookie kept apart). */
export function headerPairs(headers: ProxyErrorAnswer['headers']): [string, string][] {
  return Object.entries(headers).flatMap(([name, value]) =>
    Array.isArray(value) ? value.map((v): [string, string] => [name, v]) : [[name, value]],
  );
}
