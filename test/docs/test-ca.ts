/**
 * A throwaway CA made with the openssl CLI, and certificates it signs, laid out as docs/certificates.md
 * says: `<name>.crt` + `<name>.key` (nginx) and `<name>.pem` bundles (HAProxy, Caddy), one per name.
 * Keys live in the test's temp directory only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand } from '../support/prerequisites.ts';

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export interface TestCa {
  /** The CA certificate (PEM), for clients. */
  ca: string;
  /** Directory with `<name>.crt` and `<name>.key`. */
  splitDir: string;
  /** Directory with `<name>.pem` (chain then key). */
  bundleDir: string;
}

/** `certs`: file name -> DNS names of its SAN, e.g. { gateway: ['gateway.example.test'] }. */
export function makeTestCa(dir: string, certs: Record<string, string[]>): TestCa {
  requireCommand('openssl', 'openssl');
  const splitDir = join(dir, 'certs');
  const bundleDir = join(dir, 'bundles');
  mkdirSync(splitDir, { recursive: true });
  mkdirSync(bundleDir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=docs test CA',
    ],
    dir,
  );
  for (const [name, names] of Object.entries(certs)) {
    const key = join(splitDir, `${name}.key`);
    const crt = join(splitDir, `${name}.crt`);
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(['req', ...newKey, '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
      ].concat(['-extfile', ext, '-out', crt]),
      dir,
    );
    writeFileSync(join(bundleDir, `${name}.pem`), readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
  }
  return { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), splitDir, bundleDir };
}
