/**
 * A one-off OpenVPN client in a container's network namespace, outside its PID namespace (so the
 * legacy loop's `pgrep`/`pkill openvpn` neither sees nor kills it), on its own tun device: used to show
 * which certificates and credentials the gateway refuses.
 *
 *   probeConnect(topology, ns, { files, config, host, username?, password? }) -> Promise<ProbeResult>
 *     files: the legacy `certificates` map (ca.crt, clients.crt, clients.key, ta.key), config: the legacy
 *     template (GATEWAY_FQDN replaced by `host`, credentials appended as the legacy client does)
 *   ProbeResult.outcome: 'auth-failed' (the gateway denied it at connect), 'tls-refused' (the client saw
 *     its TLS handshake fail), 'connected', or 'no-answer' (nothing within the wait: the server drops a
 *     certificate on its CRL without telling the client)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespaces } from '../support/netns.ts';

export const PROBE_DEVICE = 'tunprobe';
const WAIT_MS = 15_000;

export interface ProbeInput {
  files: Record<string, string>;
  config: string;
  host: string;
  username?: string;
  password?: string;
  /** How long to wait for an outcome (default 15 s). A revoked certificate gets no answer at all. */
  waitMs?: number;
}

export interface ProbeResult {
  outcome: 'auth-failed' | 'tls-refused' | 'connected' | 'no-answer';
  log: string;
}

const OUTCOMES: [RegExp, ProbeResult['outcome']][] = [
  [/AUTH_FAILED/, 'auth-failed'],
  [/TLS Error|tls_read_plaintext error|alert certificate revoked|TLS handshake failed/, 'tls-refused'],
  [/Initialization Sequence Completed/, 'connected'],
];

export async function probeConnect(
  topology: Namespaces,
  ns: string,
  input: ProbeInput,
): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-e2e-probe-'));
  try {
    for (const [name, content] of Object.entries(input.files)) {
      if (!/^[a-z.]+$/.test(name)) throw new Error(`unexpected certificate file name ${name}`);
      writeFileSync(join(dir, name), content, { mode: 0o600 });
    }
    let config = input.config.replaceAll('GATEWAY_FQDN', input.host);
    if (input.username !== undefined) {
      writeFileSync(join(dir, 'vpn-credentials'), `${input.username}\n${input.password ?? ''}\n`, {
        mode: 0o600,
      });
      config += `auth-user-pass ${join(dir, 'vpn-credentials')}\nauth-nocache\n`;
    }
    writeFileSync(join(dir, 'client.ovpn'), config, { mode: 0o600 });
    const client = topology.spawnIn(ns, 'openvpn', [
      '--cd',
      dir,
      '--config',
      'client.ovpn',
      '--dev',
      PROBE_DEVICE,
      '--dev-type',
      'tun',
    ]);
    const any = new RegExp(OUTCOMES.map(([re]) => re.source).join('|'));
    const outcome = await client.waitForOutput(any, input.waitMs ?? WAIT_MS).then(
      (match) => OUTCOMES.find(([re]) => re.test(match[0]))?.[1] ?? 'no-answer',
      () => 'no-answer' as const,
    );
    await client.kill();
    return { outcome, log: client.output() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
