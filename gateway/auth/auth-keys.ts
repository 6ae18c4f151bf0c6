/**
 * The gateway's own signing keys for browser sign-in: SESSION_SECRET (HS256 sessions) and ASSERTION_KEY
 * (ES256 identity assertions, published as JWKS). Gateways behind one domain must share both. In
 * development both are generated once into DATA_DIR.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import type { Config } from '../config.ts';

export interface AuthKeys {
  sessionSecret: Uint8Array;
  assertionKeys: CryptoKeyPair;
  assertionKid: string;
}

async function devFile(dataDir: string, name: string, make: () => Promise<string>): Promise<string> {
  const file = join(dataDir, name);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = await make();
  return writeFile(file, value, { mode: 0o600, flag: 'wx' }).then(
    () => value,
    () => readFile(file, 'utf8'), // another process wrote it first
  );
}

export async function loadAuthKeys(config: Config): Promise<AuthKeys> {
  const secretText =
    config.SESSION_SECRET ??
    (await devFile(config.DATA_DIR, 'session.key', async () =>
      Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
    ));
  const pem =
    config.ASSERTION_KEY ??
    (await devFile(config.DATA_DIR, 'assertion-key.pem', async () =>
      exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey),
    ));
  const privateKey = (await importPKCS8(pem, 'ES256', { extractable: true })) as CryptoKey;
  // The public half, from the private JWK without its secret part.
  const { d: _secret, ...publicJwk } = await exportJWK(privateKey);
  const publicKey = (await crypto.subtle.importKey(
    'jwk',
    publicJwk,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  )) as CryptoKey;
  return {
    sessionSecret: new TextEncoder().encode(secretText.trim()),
    assertionKeys: { privateKey, publicKey },
    assertionKid: (await calculateJwkThumbprint(publicJwk)).slice(0, 16),
  };
}
