/**
 * The gateway's VPN PKI over a VpnStateStore: the CA, server certificate and tls-crypt key are made
 * once and persisted (private parts sealed with SECRETS_KEY), so a restart or a second gateway reuses
 * them and containers keep trusting the same CA. Client certificates: one newest serial per container.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { buildCrl } from './crl.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueClientCertificate,
  issueServerCertificate,
} from './pki.ts';
import { normaliseSerial } from './pki-keys.ts';
import type { SecretBox } from './secrets.ts';
import { generateTlsCryptKey } from './tls-crypt.ts';
import type { VpnStateStore } from './vpn-state.ts';

const SEAL_PURPOSE = 'vpn-pki';
export const DEFAULT_SERVER_COMMON_NAME = 'demiurge-gateway';

/** What the store holds (JSON); the private parts are one sealed envelope. */
const PersistedPki = z.object({
  v: z.literal(1),
  caCertPem: z.string().min(1),
  serverCertPem: z.string().min(1),
  serverCommonName: z.string().min(1),
  sealed: z.string().min(1),
});
const SealedPart = z.object({
  caKeyPem: z.string().min(1),
  serverKeyPem: z.string().min(1),
  tlsCryptKey: z.string().min(1),
});

/** Where writeServerFiles put the server's files (the paths server-config.ts needs). */
export interface ServerFiles {
  ca: string;
  cert: string;
  key: string;
  tlsCrypt: string;
  crl: string;
}

export interface VpnPkiOptions {
  state: VpnStateStore;
  secrets: SecretBox;
  /** Used only when this gateway is the one that creates the PKI. */
  serverCommonName?: string;
}

export class VpnPki {
  private constructor(
    private readonly state: VpnStateStore,
    private readonly ca: CertificateAuthority,
    readonly serverCommonName: string,
    readonly serverCertPem: string,
    private readonly serverKeyPem: string,
    readonly tlsCryptKey: string,
  ) {}

  get caCertPem(): string {
    return this.ca.certPem;
  }

  /** Loads the persisted PKI, or creates and persists it; when two gateways race, the first write wins. */
  static async open(options: VpnPkiOptions): Promise<VpnPki> {
    const stored =
      (await options.state.loadPki()) ??
      (await options.state.savePki(
        await VpnPki.create(options.secrets, options.serverCommonName ?? DEFAULT_SERVER_COMMON_NAME),
      ));
    const parsed = PersistedPki.safeParse(JSON.parse(stored));
    if (!parsed.success) {
      throw new GatewayError(ErrorCode.Internal, 'the stored VPN PKI is not in the expected shape', 500);
    }
    const pki = parsed.data;
    const secret = SealedPart.parse(JSON.parse(await options.secrets.open(pki.sealed, SEAL_PURPOSE)));
    return new VpnPki(
      options.state,
      { certPem: pki.caCertPem, keyPem: secret.caKeyPem },
      pki.serverCommonName,
      pki.serverCertPem,
      secret.serverKeyPem,
      secret.tlsCryptKey,
    );
  }

  private static async create(secrets: SecretBox, serverCommonName: string): Promise<string> {
    const ca = await createCertificateAuthority();
    const server = await issueServerCertificate(ca, serverCommonName);
    const sealed = await secrets.seal(
      JSON.stringify({
        caKeyPem: ca.keyPem,
        serverKeyPem: server.keyPem,
        tlsCryptKey: generateTlsCryptKey(),
      }),
      SEAL_PURPOSE,
    );
    const pki: z.infer<typeof PersistedPki> = {
      v: 1,
      caCertPem: ca.certPem,
      serverCertPem: server.certPem,
      serverCommonName,
      sealed,
    };
    return JSON.stringify(pki);
  }

  /** A fresh certificate for the container, recorded as its only valid one. Refuses revoked containers. */
  async issueClientCertificate(containerId: string): Promise<IssuedCertificate> {
    if (await this.state.isRevoked(containerId)) {
      throw new GatewayError(ErrorCode.Forbidden, `container ${containerId} is revoked`, 403);
    }
    const issued = await issueClientCertificate(this.ca, containerId);
    await this.state.setClientSerial(containerId, issued.serialHex);
    return issued;
  }

  /** True when `serialHex` (any spelling, e.g. OpenVPN's `91:bf:..`) is the container's newest serial. */
  async isCurrentSerial(containerId: string, serialHex: string): Promise<boolean> {
    const current = await this.state.clientSerial(containerId);
    const offered = normaliseSerial(serialHex);
    return current !== null && offered !== '' && current === offered;
  }

  /** Revokes the container in the store and rewrites the CRL at `crlPath` when given. */
  async revoke(containerId: string, crlPath?: string): Promise<string[]> {
    const serials = await this.state.revoke(containerId);
    if (crlPath) await this.writeCrl(crlPath);
    return serials;
  }

  /** The current CRL (PEM, `X509 CRL`). */
  async crlPem(): Promise<string> {
    return buildCrl(this.ca, await this.state.revokedSerials());
  }

  /** Writes the CRL atomically (tmp + rename): OpenVPN re-reads it when the mtime changes. */
  async writeCrl(crlPath: string): Promise<void> {
    await writeAtomically(crlPath, await this.crlPem(), 0o644);
  }

  /** Writes CA, server certificate and key, tls-crypt key and CRL into `dir` (keys mode 600). */
  async writeServerFiles(dir: string): Promise<ServerFiles> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const files: ServerFiles = {
      ca: join(dir, 'ca.crt'),
      cert: join(dir, 'server.crt'),
      key: join(dir, 'server.key'),
      tlsCrypt: join(dir, 'ta.key'),
      crl: join(dir, 'crl.pem'),
    };
    await writeAtomically(files.ca, this.ca.certPem, 0o644);
    await writeAtomically(files.cert, this.serverCertPem, 0o644);
    await writeAtomically(files.key, this.serverKeyPem, 0o600);
    await writeAtomically(files.tlsCrypt, this.tlsCryptKey, 0o600);
    await this.writeCrl(files.crl);
    return files;
  }
}

/** Writes beside the target and renames over it, so a reader never sees a half-written file. */
export async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
