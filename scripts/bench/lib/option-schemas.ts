/** Option schemas the benches share (proxy.ts, ws.ts). */
import { z } from 'zod';

export const positiveInt = z.coerce.number().int().positive();
export const cpuList = z.string().regex(/^\d+(?:[-,]\d+)*$/, 'a taskset CPU list such as 1 or 0-1');
/** Repeated `KEY=VALUE` options as an environment record. */
export const envPairs = z
  .array(z.string().regex(/^[A-Z_][A-Z0-9_]*=/, 'KEY=VALUE'))
  .default([])
  .transform((pairs) =>
    Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
  );
