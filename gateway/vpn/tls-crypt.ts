/** The shared `tls-crypt` key, in OpenVPN's static key file format (what `openvpn --genkey` writes). */

const KEY_BYTES = 256;
const HEX_PER_LINE = 32;
const BEGIN = '-----BEGIN OpenVPN Static key V1-----';
const END = '-----END OpenVPN Static key V1-----';
const STATIC_KEY = new RegExp(`${BEGIN}\\n((?:[0-9a-f]{${HEX_PER_LINE}}\\n){16})${END}`);

/** 2048 random bits as 16 lines of 32 hex characters between the V1 markers. */
export function generateTlsCryptKey(): string {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(KEY_BYTES)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  const lines = hex.match(new RegExp(`.{${HEX_PER_LINE}}`, 'g')) ?? [];
  return `#\n# 2048 bit OpenVPN static key\n#\n${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** True when `text` holds a well-formed static key block. */
export function isTlsCryptKey(text: string): boolean {
  return STATIC_KEY.test(text);
}
