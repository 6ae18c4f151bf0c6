/** Which key verifies platform-signed tokens: JWT_PUBLIC_KEY, JWKS_URL, or the development key. */
import { createRemoteJWKSet, importSPKI } from 'jose';
import type { Config } from '../config.ts';
import type { VerificationKey } from './container-token.ts';
import { type DevKey, loadOrCreateDevKey } from './dev-key.ts';

export interface TokenKeys {
  key: VerificationKey;
  algorithms: string[];
  /** Present only in development: the key `gatewayctl token` signs with. */
  devKey?: DevKey;
}

export async function loadTokenKeys(config: Config): Promise<TokenKeys> {
  if (config.JWT_PUBLIC_KEY) {
    return {
      key: (await importSPKI(config.JWT_PUBLIC_KEY, config.JWT_ALGORITHM)) as CryptoKey,
      algorithms: [config.JWT_ALGORITHM],
    };
  }
  if (config.JWKS_URL)
    return { key: createRemoteJWKSet(new URL(config.JWKS_URL)), algorithms: [config.JWT_ALGORITHM] };
  const devKey = await loadOrCreateDevKey(config.DATA_DIR);
  return { key: devKey.publicKey, algorithms: [devKey.alg], devKey };
}
