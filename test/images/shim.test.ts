/** The legacy shim calls the agent with the right arguments (a fake agent logs its argv). */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireCommand } from '../support/prerequisites.ts';

const SHIM = join(import.meta.dirname, '../../images/demiurge-functions.sh');
const FAKE_AGENT = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_AGENT_LOG"
case "$1" in
  settings) printf 'value-of-%s\\n' "$2" ;;
  map)
    n=$(grep -c '^map' "$FAKE_AGENT_LOG")
    code=$(printf '%s\\n' "$FAKE_MAP_CODES" | cut -d' ' -f"$n")
    exit "\${code:-2}" ;;
esac
exit "\${FAKE_EXIT:-0}"
`;

let dir: string;
let log: string;
let agent: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-shim-'));
  log = join(dir, 'argv.log');
  agent = join(dir, 'fake-agent');
  writeFileSync(agent, FAKE_AGENT);
  chmodSync(agent, 0o755);
  writeFileSync(log, '');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` in `shell` after `set -e` and sourcing the shim; bounded by a timeout. */
function run(shell: string, script: string, env: Record<string, string> = {}) {
  const result = spawnSync(shell, ['-c', `set -eu\n. "${SHIM}"\n${script}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DEMIURGE_AGENT: agent, FAKE_AGENT_LOG: log, ...env },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    argv: readFileSync(log, 'utf8'),
  };
}

describe.each(['dash', 'bash'])('demiurge-functions.sh under %s', (shell) => {
  beforeEach(() => {
    requireCommand(shell, shell);
  });

  it('extract_settings FIELD prints one field through `settings FIELD`', () => {
    const r = run(shell, 'extract_settings gateway_fqdn');
    expect(r.stdout).toBe('value-of-gateway_fqdn\n');
    expect(r.argv).toBe('settings gateway_fqdn\n');
  });

  it('extract_settings sets and exports the legacy variables', () => {
    const r = run(
      shell,
      'extract_settings; sh -c \'echo "$USER_CONTAINER_ID|$TOKEN|$GATEWAY_FQDN|$VPN_SECRET"\'',
    );
    expect(r.stdout).toBe(
      'value-of-user_container_id|value-of-token|value-of-gateway_fqdn|value-of-vpn_secret\n',
    );
    expect(r.argv.trim().split('\n')).toEqual(
      [
        'user_id',
        'frontend_fqdn',
        'ganymede_fqdn',
        'gateway_fqdn',
        'token',
        'project_id',
        'user_container_id',
        'vpn_secret',
      ].map((f) => `settings ${f}`),
    );
  });

  it('extract_settings passes on the agent failing (bad SETTINGS: status 2)', () => {
    const r = run(shell, 'extract_settings || echo "status $?"', { FAKE_EXIT: '2' });
    expect(r.stdout).toBe('status 2\n');
  });

  it('map_http_service NAME PORT calls `map NAME PORT` every round, surviving failures under set -e', () => {
    // Rounds: success, transient failure, then 2 (bad usage): the loop ends only on the last.
    const r = run(shell, 'map_http_service terminal 7681 || echo "ended $?"', {
      FAKE_MAP_CODES: '0 1 0 2',
      DEMIURGE_MAP_INTERVAL: '0.01',
    });
    expect(r.argv).toBe('map terminal 7681\n'.repeat(4));
    expect(r.stdout).toBe('ended 2\n');
  });

  it('map_http_service refuses a wrong argument count without calling the agent', () => {
    const r = run(shell, 'map_http_service terminal || echo "status $?"');
    expect(r.stdout).toBe('status 2\n');
    expect(r.stderr).toContain('usage: map_http_service NAME PORT');
    expect(r.argv).toBe('');
  });

  it('vpn_loop and watchdog call `vpn-loop` and `watchdog`', () => {
    const r = run(shell, 'vpn_loop; watchdog');
    expect(r.argv).toBe('vpn-loop\nwatchdog\n');
  });
});

describe('demiurge-functions.sh', () => {
  it('defaults DEMIURGE_AGENT to /usr/local/bin/demiurge-agent', () => {
    const out = execFileSync('dash', ['-c', `. "${SHIM}"; echo "$DEMIURGE_AGENT"`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    expect(out).toBe('/usr/local/bin/demiurge-agent\n');
  });
});
