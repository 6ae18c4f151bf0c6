/** The `SETTINGS` env var (base64 JSON) -> validated settings, or a typed error naming the field. */
import { z } from 'zod';
import { Settings } from '../../shared/protocol.ts';

/** The shared schema plus the agent's optional pinned CA for the gateway's TLS certificate. */
export const AgentSettings = Settings.extend({
  gateway_ca: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'a PEM certificate' }).optional(),
});
export type AgentSettings = z.infer<typeof AgentSettings>;

/** Which input was wrong and why; `field` is `SETTINGS` when the env var itself is unusable. */
export interface SettingsError {
  field: string;
  message: string;
}
export type SettingsResult = { ok: true; settings: AgentSettings } | { ok: false; error: SettingsError };

/** A bound on hostile input: real settings are a few kilobytes. */
const MAX_ENCODED = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const fail = (field: string, message: string): SettingsResult => ({ ok: false, error: { field, message } });

/** Decodes and validates the raw `SETTINGS` value; never throws. */
export function parseSettings(raw: string | undefined): SettingsResult {
  if (raw === undefined || raw.trim() === '') return fail('SETTINGS', 'is not set');
  if (raw.length > MAX_ENCODED) return fail('SETTINGS', `is longer than ${MAX_ENCODED} characters`);
  // `base64` wraps its output at 76 columns: line breaks are part of valid input.
  const compact = raw.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) return fail('SETTINGS', 'is not base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    return fail('SETTINGS', 'does not decode to UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('SETTINGS', 'does not decode to JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return fail('SETTINGS', 'does not decode to a JSON object');
  const parsed = AgentSettings.safeParse(json);
  if (parsed.success) return { ok: true, settings: parsed.data };
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? 'SETTINGS');
  if (!(field in json)) return fail(field, 'is missing');
  return fail(field, `is invalid: ${issue?.message ?? 'unknown problem'}`);
}

/** The one line printed for a settings error. */
export function describeSettingsError(error: SettingsError): string {
  return error.field === 'SETTINGS'
    ? `demiurge-agent: SETTINGS ${error.message}`
    : `demiurge-agent: SETTINGS field "${error.field}" ${error.message}`;
}
