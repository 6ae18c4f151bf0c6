/**
 * The VPN files on disk: a fresh private directory (0700) per attempt, files 0600, fixed names chosen
 * here. Nothing the server sends is ever used as a path; the config is checked for directives that
 * would read or run files outside the inline blocks.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface VpnFiles {
  dir: string;
  configPath: string;
  /** Removes the directory and everything in it. */
  dispose(): void;
}

/** Directives that name scripts, plugins or host paths: an inline config from the gateway needs none. */
const FORBIDDEN = new Set([
  'up',
  'down',
  'route-up',
  'route-pre-down',
  'ipchange',
  'tls-verify',
  'plugin',
  'script-security',
  'learn-address',
  'client-connect',
  'client-disconnect',
  'auth-user-pass-verify',
  'cd',
  'chroot',
  'log',
  'log-append',
  'writepid',
  'status',
  'management',
  'config',
  'auth-user-pass',
  'askpass',
  'ca',
  'cert',
  'key',
  'tls-auth',
  'tls-crypt',
  'tls-crypt-v2',
  'crl-verify',
  'pkcs12',
  'dh',
  'secret',
]);
/** Inline blocks (`<ca>...</ca>`) hold the material; their bodies are not directives. */
const BLOCK_OPEN = /^<([a-z0-9-]+)>$/;

/** Why an `.ovpn` cannot be used, or undefined when it can. */
export function checkOvpn(text: string): string | undefined {
  let inBlock: string | undefined;
  let remote = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line === `</${inBlock}>`) inBlock = undefined;
      continue;
    }
    const open = BLOCK_OPEN.exec(line);
    if (open) {
      inBlock = open[1];
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const directive = line.split(/\s+/)[0]?.replace(/^--/, '') ?? '';
    if (directive === 'remote') remote = true;
    if (FORBIDDEN.has(directive)) return `the config uses the directive "${directive}" (refused)`;
  }
  if (inBlock) return `the inline block <${inBlock}> is not closed`;
  if (!remote) return 'the config names no remote';
  return undefined;
}

/** Writes the config (plus credentials: username = container id) into a new private directory. */
export function writeVpnFiles(
  ovpn: string,
  credentials: { username: string; password: string },
  parent: string = tmpdir(),
): VpnFiles {
  const problem = checkOvpn(ovpn);
  if (problem) throw new Error(problem);
  const dir = mkdtempSync(join(parent, 'demiurge-vpn-'));
  chmodSync(dir, 0o700);
  const credentialsPath = join(dir, 'vpn-credentials');
  const configPath = join(dir, 'client.ovpn');
  writeFileSync(credentialsPath, `${credentials.username}\n${credentials.password}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  // Same credentials as the legacy client sends; the gateway may check them, or ignore them.
  const config = `${ovpn.replace(/\n?$/, '\n')}auth-user-pass ${credentialsPath}\nauth-nocache\n`;
  writeFileSync(configPath, config, { mode: 0o600, flag: 'wx' });
  return { dir, configPath, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
