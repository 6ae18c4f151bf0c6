/** Development only: a login page that mints a user token (signed with the development key) for a chosen user. */
import { SignJWT } from 'jose';
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { DevKey } from '../auth/dev-key.ts';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/);
const DevLoginForm = z.object({
  user_id: Id,
  username: z.string().min(1).max(100),
  org: Id,
  project: Id.optional().or(z.literal('')),
  role: z.enum(['member', 'admin']).default('member'),
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function devLoginPage(next: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development sign-in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:10vh auto;padding:0 1rem}label{display:block;margin:.5rem 0}input,select{width:100%}</style></head>
<body><h1>Development sign-in</h1><p>Mints a user token with the development key. Production gateways send users to the platform's login.</p>
<form method="post" action="/auth/dev-login">
<label>User id <input name="user_id" value="u-dev" required></label>
<label>Username <input name="username" value="developer" required></label>
<label>Organisation id <input name="org" required></label>
<label>Project id <input name="project"></label>
<label>Role <select name="role"><option>member</option><option>admin</option></select></label>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Sign in</button></form></body></html>`;
}

/** A user token in the platform's claim format, for the development login. */
export async function mintUserToken(
  key: DevKey,
  form: Record<string, unknown>,
  ttlSeconds = 3600,
): Promise<string> {
  const parsed = DevLoginForm.safeParse(form);
  if (!parsed.success)
    throw new GatewayError(ErrorCode.BadRequest, 'user id, username and organisation are required', 400);
  const { user_id, username, org, project, role } = parsed.data;
  const scope = [`org:${org}:${role}`, ...(project ? [`project:${project}:${role}`] : [])].join(' ');
  return new SignJWT({ user: { id: user_id, username }, scope })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key.privateKey);
}
