/**
 * Encryption at rest for private keys kept in the store: AES-256-GCM (WebCrypto) with a key from the
 * environment (`SECRETS_KEY`). The envelope is a versioned string, so the scheme can change later
 * without guessing what an old value is.
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';

const ENVELOPE_V1 = 'dgsecret:v1';
const IV_BYTES = 12;
const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const toBase64Url = (bytes: Uint8Array) =>
  toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '=')), (c) =>
    c.charCodeAt(0),
  );
}

const badKey = () =>
  new GatewayError(
    ErrorCode.BadConfig,
    'SECRETS_KEY: expected 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
    500,
  );

/** The 32 key bytes of a `SECRETS_KEY` value (hex or base64); throws GW_ERR_BAD_CONFIG naming the variable. */
export function parseSecretsKey(value: string | undefined): Uint8Array {
  const text = (value ?? '').trim();
  if (HEX_KEY.test(text)) return Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  if (!BASE64_KEY.test(text)) throw badKey();
  const bytes = fromBase64(text);
  if (bytes.length !== KEY_BYTES) throw badKey();
  return bytes;
}

/** A new random `SECRETS_KEY` value (base64), for development set-ups that generate one into DATA_DIR. */
export function generateSecretsKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** Seals and opens secrets. `purpose` is bound as associated data, so a blob cannot be reused elsewhere. */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  static async fromKey(keyBytes: Uint8Array): Promise<SecretBox> {
    if (keyBytes.length !== KEY_BYTES) throw badKey();
    const key = await crypto.subtle.importKey('raw', new Uint8Array(keyBytes), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return new SecretBox(key);
  }

  /** From a `SECRETS_KEY` value (hex or base64). */
  static fromSecretsKey(value: string | undefined): Promise<SecretBox> {
    return SecretBox.fromKey(parseSecretsKey(value));
  }

  async seal(plaintext: string, purpose: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(purpose) },
      this.key,
      new TextEncoder().encode(plaintext),
    );
    return `${ENVELOPE_V1}:${toBase64Url(iv)}:${toBase64Url(new Uint8Array(sealed))}`;
  }

  /** Throws GW_ERR_BAD_CONFIG when the envelope is unknown or the key (or purpose) does not match. */
  async open(envelope: string, purpose: string): Promise<string> {
    const [scheme, version, iv, sealed, ...rest] = envelope.split(':');
    if (`${scheme}:${version}` !== ENVELOPE_V1 || !iv || !sealed || rest.length > 0) {
      throw new GatewayError(ErrorCode.BadConfig, `stored secret is not a ${ENVELOPE_V1} envelope`, 500);
    }
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64(iv), additionalData: new TextEncoder().encode(purpose) },
        this.key,
        fromBase64(sealed),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new GatewayError(
        ErrorCode.BadConfig,
        `SECRETS_KEY does not decrypt the stored ${purpose} (a different key than the one that sealed it?)`,
        500,
      );
    }
  }
}
