/** Container tokens: verification (every request) and minting (development and tests only). */
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { unauthorized } from '../../shared/errors.ts';
import { type ContainerIdentity, ContainerTokenClaims, identityFromClaims } from '../../shared/protocol.ts';
import type { DevKey } from './dev-key.ts';

export type VerificationKey = CryptoKey | JWTVerifyGetKey;

/** Legacy clients send the raw token; `Bearer ` and `token ` prefixes are accepted too. */
const PREFIX = /^(?:bearer|token)\s+/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN = 8192;

export function tokenFromHeader(header: string | null | undefined): string {
  const token = (header ?? '').trim().replace(PREFIX, '');
  if (token === '') throw unauthorized('missing container token (Authorization header)');
  if (token.length > MAX_TOKEN || !JWT_SHAPE.test(token)) throw unauthorized('malformed container token');
  return token;
}

export interface ContainerTokenVerifier {
  /** Verifies an Authorization header value and returns the container's identity. Throws 401 errors. */
  verify(header: string | null | undefined): Promise<ContainerIdentity>;
}

/**
 * Verifies container tokens with jose. A token that verified once is remembered until it expires
 * (bounded), so the 15 s heartbeats of a container cost no signature check each.
 */
export function createContainerTokenVerifier(
  key: VerificationKey,
  algorithms: string[],
  cacheSize = 50_000,
): ContainerTokenVerifier {
  const verified = new Map<string, { identity: ContainerIdentity; exp: number }>();
  return {
    async verify(header) {
      const token = tokenFromHeader(header);
      const hit = verified.get(token);
      const nowSec = Date.now() / 1000;
      if (hit && hit.exp > nowSec) return hit.identity;
      if (hit) verified.delete(token);
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key as CryptoKey, { algorithms }));
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw unauthorized('container token has expired');
        if (err instanceof joseErrors.JWSSignatureVerificationFailed)
          throw unauthorized('container token signature is not valid');
        throw unauthorized('container token is not valid');
      }
      const claims = ContainerTokenClaims.safeParse(payload);
      const identity = claims.success ? identityFromClaims(claims.data) : undefined;
      if (!identity || !claims.success)
        throw unauthorized(
          'container token lacks the container claims (type, user_container_id, project_id, org scope)',
        );
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
      verified.set(token, { identity, exp: claims.data.exp ?? Number.POSITIVE_INFINITY });
      return identity;
    },
  };
}

export interface MintOptions extends ContainerIdentity {
  /** Lifetime in seconds (legacy tokens can live a year). */
  ttlSeconds?: number;
}

/** Mints a container token in the legacy claim format, signed with the development key. */
export function mintContainerToken(
  key: DevKey,
  { containerId, projectId, orgId, ownerId, ttlSeconds = 365 * 86_400 }: MintOptions,
): Promise<string> {
  return new SignJWT({
    type: 'user_container_token',
    user_container_id: containerId,
    project_id: projectId,
    scope: `project:${projectId}:access org:${orgId}:connect-vpn`,
    ...(ownerId ? { user_id: ownerId } : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key.privateKey);
}
