import { describe, expect, it } from 'vitest';
import { readCookie, setCookie, withoutGatewayCookies } from '../../gateway/auth/cookies.ts';
import { mayAccess, type Viewer } from '../../gateway/auth/policy.ts';
import { isLocalPath } from '../../gateway/proxy/access-gate.ts';

const route = (access: string, ownerId = '') => ({
  access: access as 'public',
  orgId: 'o1',
  projectId: 'p1',
  ownerId,
});
const viewer = (userId: string, ...grants: string[]): Viewer => ({
  userId,
  username: userId,
  grants: new Set(grants),
});

describe('access policy', () => {
  it('serves public to anyone, signed in or not', () => {
    expect(mayAccess(undefined, route('public'))).toBe(true);
  });
  it('serves org to members and admins of that organisation only', () => {
    expect(mayAccess(viewer('u', 'org:o1:member'), route('org'))).toBe(true);
    expect(mayAccess(viewer('u', 'org:o1:admin'), route('org'))).toBe(true);
    expect(mayAccess(viewer('u', 'org:o2:admin', 'project:p1:member'), route('org'))).toBe(false);
    expect(mayAccess(undefined, route('org'))).toBe(false);
  });
  it('serves project to its members, its admins and the organisation admins', () => {
    expect(mayAccess(viewer('u', 'project:p1:member'), route('project'))).toBe(true);
    expect(mayAccess(viewer('u', 'org:o1:admin'), route('project'))).toBe(true);
    expect(mayAccess(viewer('u', 'org:o1:member'), route('project'))).toBe(false);
    expect(mayAccess(viewer('u', 'project:p2:admin'), route('project'))).toBe(false);
  });
  it('serves owner to the owner only, and to nobody when the owner is unknown', () => {
    expect(mayAccess(viewer('u1'), route('owner', 'u1'))).toBe(true);
    expect(mayAccess(viewer('u2', 'org:o1:admin'), route('owner', 'u1'))).toBe(false);
    expect(mayAccess(viewer('u1'), route('owner', ''))).toBe(false);
  });
  it('fails closed on a level it does not know', () => {
    expect(mayAccess(viewer('u', 'org:o1:admin', 'project:p1:admin'), route('everyone'))).toBe(false);
  });
});

describe('gateway cookies', () => {
  it('reads one cookie without matching a longer name', () => {
    expect(readCookie('xdg_session=evil; dg_session=good; a=b', 'dg_session')).toBe('good');
    expect(readCookie('a=b', 'dg_session')).toBeUndefined();
    expect(readCookie(undefined, 'dg_session')).toBeUndefined();
  });
  it('keeps the gateway cookies away from the app', () => {
    expect(withoutGatewayCookies('a=1; dg_session=x; dg_flow_abc=y; b=2')).toBe('a=1; b=2');
    expect(withoutGatewayCookies('dg_session=x')).toBe('');
  });
  it('sets host-only, HttpOnly, SameSite=Lax cookies, Secure behind TLS', () => {
    const cookie = setCookie('dg_session', 'v', { maxAgeSeconds: 60, secure: true });
    expect(cookie).toBe('dg_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
    expect(cookie).not.toMatch(/Domain=/i);
  });
  it('accepts only same-host paths as the place to return to', () => {
    for (const ok of ['/', '/a?b=c', '/deep/path']) expect(isLocalPath(ok)).toBe(true);
    for (const bad of ['//evil.com', '/\\evil.com', 'https://evil.com', 'evil', '/a\r\nSet-Cookie: x'])
      expect(isLocalPath(bad)).toBe(false);
  });
});
