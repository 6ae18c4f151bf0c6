/**
 * The value a service host's sign-out form carries, so that only a page the gateway rendered for this
 * session can end it. The proxy sees no Origin header, and SameSite=Lax does not help: every other
 * container's page is same-site. The value is a hash of the session cookie (HttpOnly, never readable by a
 * page), so it reveals nothing about the session, and the cookie's owner alone can present it.
 */

const LABEL = new TextEncoder().encode('dg-sign-out\0');

/** The check for a session token (43 base64url characters). */
export async function signOutCheck(sessionToken: string): Promise<string> {
  const token = new TextEncoder().encode(sessionToken);
  const input = new Uint8Array(LABEL.length + token.length);
  input.set(LABEL);
  input.set(token, LABEL.length);
  return Buffer.from(await crypto.subtle.digest('SHA-256', input)).toString('base64url');
}

/** Whether `given` is the check for `sessionToken`, compared in constant time. */
export async function isSignOutCheck(given: string, sessionToken: string): Promise<boolean> {
  const expected = await signOutCheck(sessionToken);
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}
