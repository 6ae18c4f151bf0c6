/**
 * The VPN's certificates: a CA, the server certificate and one client certificate per container.
 * Extensions are the ones OpenVPN's `remote-cert-tls` checks on both sides (key usage, extended key usage).
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import {
  exportPrivateKeyPem,
  generateKeyPair,
  importSigningKey,
  randomSerialHex,
  SIGNING_ALGORITHM,
} from './pki-keys.ts';
import { x509 } from './x509.ts';

/** PEM material of the CA; the key signs certificates and CRLs. */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Lowercase hex, no separators (see normaliseSerial). */
  serialHex: string;
  notAfter: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Back-dated so a peer whose clock is a little behind still accepts a fresh certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
export const CA_VALID_DAYS = 3650;
export const SERVER_VALID_DAYS = 3650;
export const CLIENT_VALID_DAYS = 398;

/** A common name that needs no DN escaping and fits every place a CN appears (container ids qualify). */
const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function checkCommonName(cn: string): void {
  if (!COMMON_NAME.test(cn)) {
    throw new GatewayError(
      ErrorCode.BadRequest,
      `not a usable certificate common name: ${JSON.stringify(cn)}`,
    );
  }
}

const nameOf = (cn: string) => [{ CN: [cn] }];

function validity(days: number, now: number) {
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** A self-signed CA: basicConstraints CA:TRUE, keyCertSign + cRLSign. */
export async function createCertificateAuthority(
  commonName = 'demiurge-gateway-vpn-ca',
  now = Date.now(),
): Promise<CertificateAuthority> {
  checkCommonName(commonName);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: nameOf(commonName),
    ...validity(CA_VALID_DAYS, now),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

interface LeafProfile {
  cn: string;
  days: number;
  usages: x509.KeyUsageFlags;
  eku: string;
}

async function issueLeaf(ca: CertificateAuthority, profile: LeafProfile, now: number) {
  checkCommonName(profile.cn);
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await generateKeyPair();
  const serialHex = randomSerialHex();
  const { notBefore, notAfter } = validity(profile.days, now);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: nameOf(profile.cn),
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(Math.min(notAfter.getTime(), caCert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(profile.usages, true),
      new x509.ExtendedKeyUsageExtension([profile.eku]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return {
    certPem: cert.toString('pem'),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    serialHex,
    notAfter: cert.notAfter,
  };
}

/** The OpenVPN server's certificate: digitalSignature + keyEncipherment, EKU serverAuth. */
export function issueServerCertificate(
  ca: CertificateAuthority,
  commonName: string,
  now = Date.now(),
): Promise<IssuedCertificate> {
  const usages = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  return issueLeaf(
    ca,
    { cn: commonName, days: SERVER_VALID_DAYS, usages, eku: x509.ExtendedKeyUsage.serverAuth },
    now,
  );
}

/** A container's own certificate: CN = container id, digitalSignature, EKU clientAuth (never serverAuth). */
export function issueClientCertificate(
  ca: CertificateAuthority,
  containerId: string,
  now = Date.now(),
): Promise<IssuedCertificate> {
  const usages = x509.KeyUsageFlags.digitalSignature;
  return issueLeaf(
    ca,
    { cn: containerId, days: CLIENT_VALID_DAYS, usages, eku: x509.ExtendedKeyUsage.clientAuth },
    now,
  );
}
