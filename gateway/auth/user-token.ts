/** The platform's user token (browser sign-in), verified with the same keys as container tokens. */
import { jwtVerify } from 'jose';
import { unauthorized } from '../../shared/errors.ts';
import { UserTokenClaims } from '../../shared/protocol.ts';
import type { VerificationKey } from './container-token.ts';
import type { Viewer } from './policy.ts';

export interface VerifiedUser {
  viewer: Viewer;
  /** Epoch seconds when the user token (and so every session made from it) ends. */
  exp: number;
}

export function scopeGrants(scope: string | string[]): Set<string> {
  return new Set((Array.isArray(scope) ? scope : scope.split(/\s+/)).filter(Boolean));
}

export async function verifyUserToken(
  token: string,
  key: VerificationKey,
  algorithms: string[],
): Promise<VerifiedUser> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token.trim(), key as CryptoKey, { algorithms }));
  } catch {
    throw unauthorized('user token is not valid');
  }
  const claims = UserTokenClaims.safeParse(payload);
  if (!claims.success) throw unauthorized('user token lacks the user claims (user.id, user.username, scope)');
  const { user, scope, exp } = claims.data;
  return {
    viewer: { userId: user.id, username: user.username, grants: scopeGrants(scope) },
    exp: exp ?? Number.POSITIVE_INFINITY,
  };
}
