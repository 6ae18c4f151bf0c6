/** HTTP calls to the gateway: the inline `.ovpn` over verified TLS, events over the tunnel, a timed ping. */
import { type EventBody, OidcClientCredentials } from '../../shared/protocol.ts';
import type { AgentConfig } from './config.ts';
import { answerFailure, fetchFailure } from './event-failure.ts';
import { type TlsFetchOptions, tlsFetchOptions } from './tls.ts';

export type FetchLike = (url: string, init: RequestInit & TlsFetchOptions) => Promise<Response>;

export interface GatewayClient {
  /** The container's inline `.ovpn`; throws on any non-200 answer. */
  fetchOvpn(signal?: AbortSignal): Promise<string>;
  /** Posts one event; throws an `EventPostError` on a non-2xx answer, no answer, or after `EVENT_TIMEOUT_MS`. */
  postEvent(body: EventBody, options?: PostOptions): Promise<void>;
  /** Milliseconds for a small request to the gateway over the tunnel; null when it does not answer. */
  measureRoundTrip(): Promise<number | null>;
  /** A service's OpenID Connect client (id, secret, issuer); throws on any non-200 or malformed answer. */
  fetchOidcClient(service: string): Promise<OidcClientCredentials>;
}

export interface PostOptions {
  /** Open a new connection instead of reusing a kept-alive one (a retry after a failure). */
  freshConnection?: boolean;
}

export const VPN_CONFIG_TIMEOUT_MS = 15_000;
export const EVENT_TIMEOUT_MS = 5_000;
const PING_TIMEOUT_MS = 2_000;
/** An inline config is a few kilobytes; anything much larger is not one. */
const MAX_OVPN_BYTES = 256 * 1024;

/** A client for one container's gateway. `fetchImpl` is injectable for tests. */
export function createGatewayClient(config: AgentConfig, fetchImpl: FetchLike = fetch): GatewayClient {
  const tls = tlsFetchOptions(config.tls);
  const timeout = (ms: number, signal?: AbortSignal) =>
    signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
  return {
    async fetchOvpn(signal) {
      const init: RequestInit & TlsFetchOptions = {
        method: 'GET',
        headers: { authorization: config.token, accept: 'application/x-openvpn-profile, text/plain' },
        signal: timeout(VPN_CONFIG_TIMEOUT_MS, signal),
        ...tls,
      };
      const res = await fetchImpl(config.vpnConfigUrl, init);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`vpn-config answered ${res.status}`);
      if (text.length > MAX_OVPN_BYTES) throw new Error('vpn-config answer is too large');
      return text;
    },
    async postEvent(body, options = {}) {
      const init: RequestInit & TlsFetchOptions = {
        method: 'POST',
        headers: { authorization: config.token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: timeout(EVENT_TIMEOUT_MS),
        // Bun takes `keepalive: false` as "not from the pool" (a `Connection: close` header still reuses one).
        ...(options.freshConnection ? { keepalive: false } : {}),
        ...tls,
      };
      let res: Response;
      try {
        res = await fetchImpl(config.eventsUrl, init);
        await res.body?.cancel();
      } catch (error) {
        throw fetchFailure(error);
      }
      if (res.status < 200 || res.status > 299) throw answerFailure(res.status);
    },
    async fetchOidcClient(service) {
      const url = `${config.oidcClientUrl}?${new URLSearchParams({ service })}`;
      const init: RequestInit & TlsFetchOptions = {
        method: 'GET',
        headers: { authorization: config.token, accept: 'application/json' },
        signal: timeout(EVENT_TIMEOUT_MS),
        ...tls,
      };
      let res: Response;
      try {
        res = await fetchImpl(url, init);
      } catch (error) {
        throw fetchFailure(error);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw answerFailure(res.status);
      }
      const parsed = OidcClientCredentials.safeParse(await res.json().catch(() => null));
      if (!parsed.success) throw new Error('oidc-client answer is not a client');
      return parsed.data;
    },
    async measureRoundTrip() {
      const started = performance.now();
      try {
        const res = await fetchImpl(config.pingUrl, { method: 'GET', signal: timeout(PING_TIMEOUT_MS) });
        await res.body?.cancel();
        // Any answer (even a 404) is a completed round trip.
        return Math.round((performance.now() - started) * 1000) / 1000;
      } catch {
        return null;
      }
    },
  };
}
