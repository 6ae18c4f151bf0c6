/**
 * The identity assertion handed to apps: a short-lived ES256 JWT (audience = the service hostname) that an
 * app verifies against the gateway's `/.well-known/jwks.json`. One per (session, hostname), reused while it
 * has more than half its life left, so signing is not per request.
 */
import { exportJWK, type JWK, SignJWT } from 'jose';
import type { Viewer } from './policy.ts';

const LIFETIME_SECONDS = 120;

export class IdentityAssertions {
  /** By viewer object: a session's viewer lives in the session cache, and a session serves one hostname. */
  readonly #cache = new WeakMap<Viewer, { jwt: string; renewAt: number; hostname: string }>();

  constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK & { kid: string },
    private readonly issuer: string,
  ) {}

  static async create(keys: CryptoKeyPair, kid: string, issuer: string): Promise<IdentityAssertions> {
    const jwk = { ...(await exportJWK(keys.publicKey)), kid, alg: 'ES256', use: 'sig' };
    return new IdentityAssertions(keys.privateKey, jwk, issuer);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** The assertion for this viewer (one session's) on this hostname. */
  assertion(viewer: Viewer, hostname: string): string | Promise<string> {
    const hit = this.#cache.get(viewer);
    if (hit && hit.hostname === hostname && hit.renewAt > Date.now()) return hit.jwt;
    return new SignJWT({ preferred_username: viewer.username })
      .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid, typ: 'JWT' })
      .setSubject(viewer.userId)
      .setAudience(hostname)
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(this.privateKey)
      .then((jwt) => {
        this.#cache.set(viewer, { jwt, hostname, renewAt: Date.now() + (LIFETIME_SECONDS / 2) * 1000 });
        return jwt;
      });
  }
}
