/**
 * The agent's `run` on this machine, without a VPN: a stand-in `openvpn` on its PATH that only sleeps,
 * `lo` as its tunnel device (so the tunnel is "up" with 127.0.0.1 as soon as OpenVPN starts), and a
 * small server handing it a config. Everything after the tunnel comes up is the real agent: registration,
 * watchdog, liveness checks, against whatever `eventsUrl` names. `dropTunnel()` ends the stand-in and
 * makes the config server answer 503, as a gateway going away takes the real tunnel with it: the agent
 * stops its beats and retries OpenVPN with back-off; after `restoreTunnel()` its next attempt brings the
 * tunnel up, and it registers at once.
 *
 *   runAgentOutsideVpn({ binary, settings, eventsUrl, services })
 *     -> { records(), output(), dropTunnel(), restoreTunnel(), stop() }
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentLog, type LogRecord } from '../e2e/agent/agent-container.ts';

export interface AgentOutsideVpn {
  /** The agent's JSON log records so far. */
  records(): LogRecord[];
  output(): string;
  /** The tunnel goes down and stays down: the stand-in ends, and no config is handed out. */
  dropTunnel(): void;
  /** Configs are handed out again: the agent's next VPN attempt (after its back-off) brings the tunnel up. */
  restoreTunnel(): void;
  stop(): Promise<void>;
}

export interface AgentOutsideVpnOptions {
  /** The compiled agent (test/e2e/agent/agent-binary.ts). */
  binary: string;
  /** Base64 SETTINGS (test/e2e/support/settings.ts). */
  settings: string;
  eventsUrl: string;
  /** `--service` specs, `NAME:PORT[:primary][:ACCESS]`. */
  services: string[];
}

const FAKE_OPENVPN = '#!/bin/sh\necho $$ >> "$DG_TEST_OPENVPN_PIDS"\nexec sleep 3600\n';

/** Is `pid` still one of our stand-ins (and not a reused pid)? */
function isStandIn(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('sleep\u00003600');
  } catch {
    return false;
  }
}

export async function runAgentOutsideVpn(options: AgentOutsideVpnOptions): Promise<AgentOutsideVpn> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-agent-novpn-'));
  const pids = join(dir, 'openvpn.pids');
  writeFileSync(join(dir, 'openvpn'), FAKE_OPENVPN);
  chmodSync(join(dir, 'openvpn'), 0o755);
  let tunnelAvailable = true;
  const configServer = createServer((_req, res) => {
    res.statusCode = tunnelAvailable ? 200 : 503;
    res.end(tunnelAvailable ? 'client\ndev tun\nremote 127.0.0.1 1194\n' : '');
  });
  await new Promise<void>((resolve) => configServer.listen(0, '127.0.0.1', resolve));
  const configPort = (configServer.address() as AddressInfo).port;
  const child: ChildProcess = spawn(
    options.binary,
    ['run', ...options.services.flatMap((s) => ['--service', s])],
    {
      env: {
        PATH: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`,
        SETTINGS: options.settings,
        DEMIURGE_GATEWAY_URL: `http://127.0.0.1:${configPort}`,
        DEMIURGE_EVENTS_URL: options.eventsUrl,
        DEMIURGE_TUN_DEVICE: 'lo',
        DG_TEST_OPENVPN_PIDS: pids,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    records: () => agentLog(out),
    output: () => out,
    dropTunnel() {
      tunnelAvailable = false;
      const last = readFileSync(pids, 'utf8').trim().split('\n').at(-1);
      if (!last) throw new Error('no stand-in OpenVPN was started');
      process.kill(Number(last), 'SIGTERM');
    },
    restoreTunnel() {
      tunnelAvailable = true;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // A stand-in the agent could not stop (it was killed) would sleep on for an hour.
      for (const pid of readFileSync(pids, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean))
        if (isStandIn(Number(pid))) process.kill(Number(pid), 'SIGKILL');
      await new Promise((resolve) => configServer.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
