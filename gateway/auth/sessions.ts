/**
 * Sessions are short JWTs signed by the gateway (HS256 with SESSION_SECRET), kept in host-only cookies:
 * one on the gateway's own host, one per service host (audience = that hostname). Verifying one is a
 * Map lookup after the first time, so the proxy's session check never touches the store.
 */
import { jwtVerify, SignJWT } from 'jose';
import type { Viewer } from './policy.ts';
import { scopeGrants } from './user-token.ts';

/** The audience of a gateway-host session. */
export const GATEWAY_AUDIENCE = 'demiurge-gateway';
const ISSUER = 'demiurge-gateway';

interface Cached {
  viewer: Viewer;
  audience: string;
  exp: number;
}

export class SessionKeeper {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;
  readonly #verified = new Map<string, Cached>();
  readonly #maxCached: number;

  constructor(secret: Uint8Array, ttlSeconds: number, maxCached = 100_000) {
    this.#key = secret;
    this.#ttlSeconds = ttlSeconds;
    this.#maxCached = maxCached;
  }

  /** Signs a session for `audience`, ending at the session TTL or the user token's end, whichever is first. */
  sign(
    viewer: Viewer,
    audience: string,
    userTokenExp: number,
  ): Promise<{ token: string; maxAgeSeconds: number }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.min(now + this.#ttlSeconds, Math.floor(userTokenExp));
    return new SignJWT({ name: viewer.username, scope: [...viewer.grants] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(viewer.userId)
      .setAudience(audience)
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.#key)
      .then((token) => ({ token, maxAgeSeconds: Math.max(0, exp - now) }));
  }

  /**
   * The viewer of a session token for `audience`: synchronous on a cache hit (the proxy's hot path),
   * a Promise the first time. undefined when missing, forged, expired or for another audience.
   */
  viewer(token: string | undefined, audience: string): Viewer | undefined | Promise<Viewer | undefined> {
    if (!token) return undefined;
    const hit = this.#verified.get(token);
    if (hit) {
      if (hit.exp > Date.now() / 1000 && hit.audience === audience) return hit.viewer;
      if (hit.exp <= Date.now() / 1000) this.#verified.delete(token);
      return undefined;
    }
    return this.#verify(token, audience);
  }

  async #verify(token: string, audience: string): Promise<Viewer | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience,
      });
      const viewer: Viewer = {
        userId: String(payload.sub),
        username: String(payload.name ?? ''),
        grants: scopeGrants(Array.isArray(payload.scope) ? (payload.scope as string[]) : []),
        sessionExp: payload.exp ?? 0,
      };
      if (this.#verified.size >= this.#maxCached)
        this.#verified.delete(this.#verified.keys().next().value as string);
      this.#verified.set(token, { viewer, audience, exp: payload.exp ?? 0 });
      return viewer;
    } catch {
      return undefined;
    }
  }
}
