/**
 * A tiny browser stand-in for sign-in tests: per-host cookie jar, manual redirects, navigation headers.
 * Requests go to the gateway on loopback with the Host header of the URL.
 */
import { request } from 'undici';

export interface Step {
  status: number;
  location: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export class Browserish {
  readonly jar = new Map<string, Map<string, string>>();

  /** `gatewayPort`: one gateway, or a function picking one per request (a pool behind a load balancer). */
  constructor(private readonly gatewayPort: number | (() => number)) {}

  cookies(host: string): Map<string, string> {
    let cookies = this.jar.get(host);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(host, cookies);
    }
    return cookies;
  }

  /** One request (no redirect following); `url` is absolute (http://host:port/path). */
  async go(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string>; navigate?: boolean } = {},
  ): Promise<Step> {
    const target = new URL(url);
    const cookieHeader = [...this.cookies(target.hostname)].map(([k, v]) => `${k}=${v}`).join('; ');
    const port = typeof this.gatewayPort === 'function' ? this.gatewayPort() : this.gatewayPort;
    const res = await request(`http://127.0.0.1:${port}${target.pathname}${target.search}`, {
      method: (init.method ?? 'GET') as 'GET',
      body: init.body,
      headers: {
        host: target.host,
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
        ...(init.navigate === false
          ? { 'sec-fetch-mode': 'cors', accept: 'application/json' }
          : { 'sec-fetch-mode': 'navigate', accept: 'text/html' }),
        ...init.headers,
      },
    });
    const setCookies = res.headers['set-cookie'];
    for (const line of Array.isArray(setCookies) ? setCookies : setCookies ? [setCookies] : []) {
      const [pair] = line.split(';');
      const [name, ...rest] = (pair ?? '').split('=');
      const value = rest.join('=');
      if (!name) continue;
      // Cleared: Max-Age=0, or (Koa, the OIDC provider) an expiry in 1970.
      if (/Max-Age=0|expires=Thu, 01 Jan 1970/i.test(line)) this.cookies(target.hostname).delete(name.trim());
      else this.cookies(target.hostname).set(name.trim(), value);
    }
    const location = res.headers.location;
    return {
      status: res.statusCode,
      location: typeof location === 'string' ? new URL(location, url).toString() : undefined,
      body: await res.body.text(),
      headers: res.headers as Step['headers'],
    };
  }

  /** Follows redirects (GET) until a non-redirect answer or `max` hops. */
  async follow(first: Step, max = 8): Promise<Step[]> {
    const steps = [first];
    let step = first;
    for (let i = 0; i < max && step.location && step.status >= 300 && step.status < 400; i++) {
      step = await this.go(step.location);
      steps.push(step);
    }
    return steps;
  }
}
