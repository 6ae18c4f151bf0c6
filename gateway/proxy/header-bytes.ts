/**
 * Header names compared as bytes, so an upstream's raw header buffers are classified without turning
 * each into a string. Names are tokens (the parser saw to that), where `byte | 0x20` lowercases letters
 * and leaves `-` and digits alone.
 */

/** Lowercase names as bytes, for `nameIs`. */
export const nameBytes = (lowercase: string): Buffer => Buffer.from(lowercase, 'latin1');

/** Whether a raw header name is `lower` (given as lowercase bytes), ignoring case. */
export function nameIs(name: Buffer, lower: Buffer): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if (((name[i] as number) | 0x20) !== lower[i]) return false;
  return true;
}
