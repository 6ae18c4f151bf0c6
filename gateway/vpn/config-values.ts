/**
 * Values that go into OpenVPN config text. Each is checked so it cannot end a line, start a new
 * directive or need quoting: config injection is one of the legacy gateway's defects.
 */
import { z } from 'zod';

/** An absolute path without whitespace, quotes or control characters. */
export const ConfigPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._/@+-]*$/, 'an absolute path of letters, digits and ._/@+- only');

/** A host name or IPv4 address (no port). */
export const ConfigHost = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a host name or IPv4 address');

export const ConfigPort = z.number().int().min(1).max(65535);

/** A certificate common name as verify-x509-name takes it. */
export const ConfigCommonName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a plain common name');

/** A PEM (or static key) block for an inline `<tag>`: no closing tag can hide inside it. */
export const InlineBlock = z
  .string()
  .min(1)
  .refine((s) => !/<\/?[a-z-]+>/i.test(s), 'no <tag> inside an inline block');

/** A config directive line (pushed to a client): printable, one line, no quotes trickery needed. */
export const ConfigLine = z.string().regex(/^[A-Za-z0-9][\x20-\x7e]*$/, 'one printable line');
