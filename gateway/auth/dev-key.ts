/**
 * The development signing key: generated on first start when no platform key is configured, kept in
 * DATA_DIR so that `gatewayctl token` can sign container tokens with it. Never used in production
 * (the gateway image sets DEV_SIGNING_KEY=false).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export const DEV_KEY_FILE = 'dev-signing-key.json';
const ALG = 'RS256';

export interface DevKey {
  alg: typeof ALG;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

interface DevKeyFile {
  alg: typeof ALG;
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

async function fromFile(file: DevKeyFile): Promise<DevKey> {
  return {
    alg: ALG,
    kid: file.kid,
    privateKey: (await importJWK(file.privateJwk, ALG)) as CryptoKey,
    publicKey: (await importJWK(file.publicJwk, ALG)) as CryptoKey,
  };
}

/** Reads the development key from `dataDir`, or undefined when there is none. */
export async function readDevKey(dataDir: string): Promise<DevKey | undefined> {
  let text: string;
  try {
    text = readFileSync(join(dataDir, DEV_KEY_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return fromFile(JSON.parse(text) as DevKeyFile);
}

/** Reads the development key, generating it (mode 600) on first use. */
export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  const existing = await readDevKey(dataDir);
  if (existing) return existing;
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const file: DevKeyFile = {
    alg: ALG,
    kid: `dev-${crypto.randomUUID().slice(0, 8)}`,
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(join(dataDir, DEV_KEY_FILE), JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  } catch {
    // Another process wrote it first: use theirs, so tokens stay verifiable.
    const raced = await readDevKey(dataDir);
    if (raced) return raced;
  }
  return fromFile(file);
}
