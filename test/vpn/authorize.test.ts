/** Who may join the VPN: certificate first, then the optional username/password (legacy clients). */
import { beforeEach, describe, expect, it } from 'vitest';
import { createContainerTokenVerifier, mintContainerToken } from '../../gateway/auth/container-token.ts';
import { createVpnAuthorizer } from '../../gateway/vpn/authorize.ts';
import type { ConnectRequest } from '../../gateway/vpn/management.ts';
import { VpnPki } from '../../gateway/vpn/pki-service.ts';
import { SecretBox } from '../../gateway/vpn/secrets.ts';
import { MemoryVpnState } from '../../gateway/vpn/vpn-state-memory.ts';
import { ORG, PROJECT, testKey } from '../support/control.ts';

/** OpenVPN reports serials as colon-separated hex. */
const colons = (hex: string) => hex.match(/../g)?.join(':') ?? hex;

describe('VPN connect authorization', () => {
  let authorize: ReturnType<typeof createVpnAuthorizer>;
  let pki: VpnPki;
  let state: MemoryVpnState;
  let key: Awaited<ReturnType<typeof testKey>>;
  let serial: string;
  const request = (over: Partial<ConnectRequest> = {}): ConnectRequest => ({
    cid: 1,
    kid: 1,
    reauth: false,
    commonName: 'uc_1',
    serialHex: colons(serial),
    realAddress: '10.0.0.2',
    ...over,
  });

  beforeEach(async () => {
    key = await testKey();
    state = new MemoryVpnState('172.16.0.0/16');
    pki = await VpnPki.open({
      state,
      secrets: await SecretBox.fromKey(crypto.getRandomValues(new Uint8Array(32))),
    });
    authorize = createVpnAuthorizer({
      pki,
      state,
      verifier: createContainerTokenVerifier(key.publicKey, ['RS256']),
    });
    serial = (await pki.issueClientCertificate('uc_1')).serialHex;
  });

  it('allows the newest certificate and pushes the same address every time', async () => {
    const first = await authorize(request());
    expect(first).toMatchObject({ allow: true, address: expect.stringMatching(/^172\.16\./) });
    expect(await authorize(request())).toEqual(first);
    expect(await state.addressOf('uc_1')).toBe((first as { address: string }).address);
  });

  it('denies a superseded certificate and an unknown one', async () => {
    const old = serial;
    await pki.issueClientCertificate('uc_1');
    expect(await authorize(request({ serialHex: colons(old) }))).toMatchObject({
      allow: false,
      reason: expect.stringContaining('superseded'),
    });
    expect(await authorize(request({ commonName: 'uc_2' }))).toMatchObject({ allow: false });
  });

  it('denies a username that is not the certificate CN', async () => {
    expect(await authorize(request({ username: 'uc_2', password: 'x' }))).toMatchObject({
      allow: false,
      reason: expect.stringContaining('username'),
    });
    expect(
      await authorize(request({ username: 'uc_1', password: '0123456789abcdef0123456789abcdef' })),
    ).toMatchObject({ allow: true });
  });

  it('checks a password that is a token: valid, and naming this container', async () => {
    const own = await mintContainerToken(key, { containerId: 'uc_1', projectId: PROJECT, orgId: ORG });
    const other = await mintContainerToken(key, { containerId: 'uc_2', projectId: PROJECT, orgId: ORG });
    const forged = await mintContainerToken(await testKey(), {
      containerId: 'uc_1',
      projectId: PROJECT,
      orgId: ORG,
    });
    expect(await authorize(request({ username: 'uc_1', password: own }))).toMatchObject({ allow: true });
    expect(await authorize(request({ username: 'uc_1', password: other }))).toMatchObject({
      allow: false,
      reason: expect.stringContaining('another container'),
    });
    expect(await authorize(request({ username: 'uc_1', password: forged }))).toMatchObject({ allow: false });
  });

  it('denies a revoked container, even with a certificate issued before', async () => {
    await pki.revoke('uc_1');
    expect(await authorize(request())).toMatchObject({ allow: false, reason: 'container revoked' });
  });
});
