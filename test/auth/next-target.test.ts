/** The one check every sign-in `next` passes: this gateway's authorize endpoint, by parsed URL. */
import { describe, expect, it } from 'vitest';
import { createNextCheck } from '../../gateway/auth/next-target.ts';

const GATEWAY = 'http://localhost:8080';
const check = createNextCheck(GATEWAY);
const AUTHORIZE = '/auth/authorize?host=uc-c1.org-a.localhost&flow=flowflowflow&state=statestatestatestate';

describe('next-target check', () => {
  it.each([
    ['the relative authorize URL', AUTHORIZE, AUTHORIZE],
    ['the absolute URL the gateway gives the login page', `${GATEWAY}${AUTHORIZE}`, AUTHORIZE],
    ['an absolute URL in other case', `HTTP://LOCALHOST:8080${AUTHORIZE}`, AUTHORIZE],
    // Harmless oddities the URL parser normalises: the result stays on the gateway's authorize path.
    ['an @ in the query', '/auth/authorize?x@evil.example', '/auth/authorize?x@evil.example'],
    ['a newline inside', '/auth/authorize\n?x=1', '/auth/authorize?x=1'],
    ['dot segments', '/auth/x/../authorize?x=1', '/auth/authorize?x=1'],
    ['an OIDC provider interaction', '/oidc/interaction/AbC_-123', '/oidc/interaction/AbC_-123'],
    ['an absolute OIDC provider interaction', `${GATEWAY}/oidc/interaction/u1`, '/oidc/interaction/u1'],
  ])('keeps %s', (_name, next, expected) => {
    expect(check(next)).toBe(expected);
  });

  it.each([
    ['userinfo glued after the origin (the reported case)', '@evil.example/'],
    ['userinfo glued, authorize path', '@evil.example/auth/authorize?x'],
    ['a protocol-relative URL', '//evil.example'],
    ['a protocol-relative authorize URL', '//evil.example/auth/authorize?x'],
    ['a backslash after the slash', '/\\evil.example'],
    ['two backslashes', '\\\\evil.example/auth/authorize?x'],
    ['a tab before //', '\t//evil.example/auth/authorize'],
    ['another origin, authorize path', 'https://evil.example/auth/authorize?'],
    ['the gateway host as userinfo', 'http://localhost:8080@evil.example/auth/authorize'],
    ['the gateway host as a label', 'http://localhost:8080.evil.example/auth/authorize'],
    ['the gateway origin with userinfo', `http://user:pw@localhost:8080${AUTHORIZE}`],
    ['the gateway origin with a user only', `http://user@localhost:8080${AUTHORIZE}`],
    ['another scheme on the gateway host', `https://localhost:8080${AUTHORIZE}`],
    ['another port on the gateway host', `http://localhost:8081${AUTHORIZE}`],
    ['an @ in the path', '/auth/authorize@evil.example/'],
    ['an encoded //', '%2F%2Fevil.example/auth/authorize'],
    ['an encoded / in the path', '/%2F/evil.example/auth/authorize'],
    ['an encoded authorize path', '/auth/%61uthorize?x'],
    ['an interaction with a query', '/oidc/interaction/u1?next=//evil.example'],
    ['an interaction path with more after the uid', '/oidc/interaction/u1/login'],
    ['another provider path', '/oidc/auth/u1'],
    ['an interaction on another origin', 'https://evil.example/oidc/interaction/u1'],
    ['encoded traversal after the path', '/auth/authorize/..%2F..%2Fevil'],
    ['another path on the gateway', '/admin'],
    ['the site root', '/'],
    ['another case of the path', '/auth/Authorize?x'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['an unparseable URL', 'http://[::1'],
    ['an empty value', ''],
    ['a very long value', `${AUTHORIZE}&pad=${'x'.repeat(3000)}`],
  ])('drops %s', (_name, next) => {
    expect(check(next)).toBeUndefined();
  });

  it('drops what is not a string', () => {
    for (const next of [undefined, null, 1, ['/auth/authorize'], {}]) expect(check(next)).toBeUndefined();
  });
});
