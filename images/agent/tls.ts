/**
 * Fetch options enforcing the TLS policy. Bun's `fetch` takes a `tls` member (`ca`, `rejectUnauthorized`);
 * with no pinned CA it verifies against the system CAs. Skipping verification needs the explicit flag.
 */
import type { TlsPolicy } from './config.ts';

export interface TlsFetchOptions {
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

/** The `tls` fetch member for a policy (empty: verify with the system CAs). */
export function tlsFetchOptions(policy: TlsPolicy): TlsFetchOptions {
  if (policy.insecure) return { tls: { rejectUnauthorized: false } };
  if (policy.ca) return { tls: { ca: policy.ca, rejectUnauthorized: true } };
  return {};
}
