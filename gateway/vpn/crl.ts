/** The certificate revocation list OpenVPN checks at each new handshake (`crl-verify`). */
import type { CertificateAuthority } from './pki.ts';
import { importSigningKey, normaliseSerial, SIGNING_ALGORITHM } from './pki-keys.ts';
import { x509 } from './x509.ts';

/** Far enough ahead that OpenVPN never sees the CRL as stale between gateway updates. */
const CRL_VALID_DAYS = 3650;

/**
 * A CRL signed by the CA listing `revokedSerials` (hex, any spelling), as PEM with the label
 * `X509 CRL`: the library writes `CRL`, which OpenSSL (and so OpenVPN) cannot load.
 */
export async function buildCrl(
  ca: CertificateAuthority,
  revokedSerials: Iterable<string>,
  now = Date.now(),
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const serials = [...new Set(Array.from(revokedSerials, normaliseSerial))].filter((s) => s !== '');
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + CRL_VALID_DAYS * 24 * 60 * 60 * 1000),
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now) })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(caCert)],
  });
  return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`;
}
