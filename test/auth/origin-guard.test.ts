/** Which posts the gateway-host sign-in endpoints take: its own origin everywhere, LOGIN_URL's on the login only. */
import { describe, expect, it } from 'vitest';
import { createOriginGuard, type PostedRequest } from '../../gateway/auth/origin-guard.ts';

const GATEWAY = 'https://gateway.example.com';
const LOGIN = 'https://login.platform.example/sign-in?app=gw';
const admits = createOriginGuard(GATEWAY, LOGIN);
const post = (path: string, origin?: string, secFetchSite?: string): PostedRequest => ({
  method: 'POST',
  path,
  origin,
  secFetchSite,
});

describe('origin guard', () => {
  it.each([
    ['the gateway origin, logout', post('/auth/logout', GATEWAY)],
    ['the gateway origin, login', post('/auth/login', GATEWAY)],
    ['the login origin, login', post('/auth/login', 'https://login.platform.example', 'cross-site')],
    ['no Origin, same-origin fetch metadata', post('/auth/logout', undefined, 'same-origin')],
    ['a null Origin, same-origin fetch metadata', post('/auth/logout', 'null', 'same-origin')],
    ['a GET from anywhere', { ...post('/auth/login', 'https://evil.example'), method: 'GET' }],
  ])('admits %s', (_name, request) => {
    expect(admits(request)).toBe(true);
  });

  it.each([
    ['the login origin, logout', post('/auth/logout', 'https://login.platform.example')],
    ['the login origin, development login', post('/auth/dev-login', 'https://login.platform.example')],
    ['the login origin, a look-alike path', post('/auth/login/', 'https://login.platform.example')],
    ['a container page (same site)', post('/auth/login', 'https://uc-c1.org-a.example.com', 'same-site')],
    ['another origin claiming same-origin', post('/auth/logout', 'https://evil.example', 'same-origin')],
    ['the gateway host on another scheme', post('/auth/logout', 'http://gateway.example.com')],
    ['the login host on another port', post('/auth/login', 'https://login.platform.example:8443')],
    ['no Origin, no fetch metadata', post('/auth/logout')],
    ['a null Origin, cross-site', post('/auth/login', 'null', 'cross-site')],
    ['a DELETE from elsewhere', { ...post('/auth/logout', 'https://evil.example'), method: 'DELETE' }],
  ])('refuses %s', (_name, request) => {
    expect(admits(request)).toBe(false);
  });

  it('admits no foreign origin at all without LOGIN_URL', () => {
    const own = createOriginGuard(GATEWAY);
    expect(own(post('/auth/login', 'https://login.platform.example'))).toBe(false);
    expect(own(post('/auth/login', GATEWAY))).toBe(true);
  });
});
