/** ECDSA P-256 keys as OpenVPN reads them (PKCS#8 PEM), and certificate serials. */
import { x509 } from './x509.ts';

export const KEY_ALGORITHM: EcKeyImportParams & EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A fresh extractable P-256 key pair. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** PKCS#8 PEM (`PRIVATE KEY`), which OpenVPN and OpenSSL accept. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** A signing key back from PKCS#8 PEM. */
export function importSigningKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']);
}

/**
 * A random serial (126 random bits) as lowercase hex. The first byte is 0x40..0x7f: positive as a
 * DER integer and without a leading zero, so the hex is already in normaliseSerial's spelling.
 */
export function randomSerialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One spelling for serials: lowercase hex without separators or leading zeros (`91:BF:..` -> `91bf..`). */
export function normaliseSerial(serial: string): string {
  const hex = serial
    .replace(/[:\s]/g, '')
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
  return /^[0-9a-f]+$/.test(hex) ? hex : '';
}
