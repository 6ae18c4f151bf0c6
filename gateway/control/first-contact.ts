/**
 * First contact on the gateway's own host (GATEWAY_FQDN, or any Host that is not `uc-*`): a browser that
 * opens `/` gets a small page (what this is, its health, where the docs are), and one that opens any other
 * unknown path a small 404 page. Everything else (curl, scripts, `fetch`) gets the JSON it always got:
 * `404 GW_ERR_NOT_FOUND`, for `/` too. "A browser" is `proxy/pages.ts`'s `wantsHtml`: a navigation
 * (`Sec-Fetch-Mode: navigate`) or, without that header, an `Accept` naming `text/html`.
 */
import type { Context } from 'hono';
import { escapeHtml, wantsHtml } from '../proxy/pages.ts';
import type { ControlEnv } from './env.ts';
import { notFound } from './errors.ts';
import { type ReadinessCheck, readinessOf } from './health.ts';

/** Where the docs are: the repository's own files (the gateway serves none of them). */
const DOCS = [
  ['README.md', 'what it is, the two commands, configuration'],
  ['docs/', 'deploying behind TLS, certificates, Redis, several gateways'],
  ['SECURITY.md', 'what the gateway defends and what it leaves to the proxy in front'],
] as const;

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:10vh auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}code{font-size:.9em}td{padding:0 1rem 0 0}.ok{color:#17692f}.bad{color:#a3122a}p.c{color:#777;font-size:.85rem}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}<p class="c">Demiurge Gateway</p></body></html>`;
}

const browser = (c: Context) => wantsHtml(c.req.header('sec-fetch-mode'), c.req.header('accept'));

/** `GET /`: the home page for a browser, the usual JSON 404 for anything else. */
export function homePage(checks: readonly ReadinessCheck[], domain: string) {
  return async (c: Context<ControlEnv>) => {
    if (!browser(c)) return notFound(c);
    const health = await readinessOf(checks);
    const rows = Object.entries(health.checks)
      .map(
        ([name, state]) =>
          `<tr><td>${escapeHtml(name)}</td><td class="${state === 'ok' ? 'ok' : 'bad'}" data-check="${escapeHtml(name)}">${escapeHtml(state)}</td></tr>`,
      )
      .join('');
    const docs = DOCS.map(([file, what]) => `<li><code>${file}</code>: ${what}</li>`).join('');
    const body = `<h1>Demiurge Gateway</h1>
<p>This is the edge gateway of a platform that runs user containers. Each container's web services answer at
their own addresses, <code>uc-&lt;container&gt;.org-&lt;organisation&gt;.${escapeHtml(domain)}</code>; this
address is the gateway's own: sign-in, and the endpoints containers call.</p>
<h2>Health: <span id="dg-ready" class="${health.ready ? 'ok' : 'bad'}">${health.ready ? 'ready' : 'not ready'}</span></h2>
<table>${rows}</table>
<p>As JSON: <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>.</p>
<h2>Documentation</h2>
<p>In the Demiurge Gateway repository:</p><ul>${docs}</ul>`;
    c.header('cache-control', 'no-store');
    return c.html(page('Demiurge Gateway', body));
  };
}

/** Any other unknown path: a small 404 page for a browser, the usual JSON 404 for anything else. */
export function browserNotFound(c: Context<ControlEnv>) {
  if (!browser(c)) return notFound(c);
  const body = `<h1>Nothing here</h1><p>This gateway has no page at <code>${escapeHtml(c.req.path)}</code>.</p><p><a href="/">What this gateway is</a></p>`;
  c.header('cache-control', 'no-store');
  return c.html(page('Nothing here', body), 404);
}
