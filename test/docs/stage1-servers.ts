/**
 * Runs docs/stage1/{nginx.conf,Caddyfile,haproxy.cfg} as they are checked in, with their ${DEMIURGE_*}
 * placeholders filled: by the test for nginx (as envsubst would), from the environment for Caddy and
 * HAProxy (which read it themselves). Each runs in the foreground in its own temp directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { requireCommand } from '../support/prerequisites.ts';

export const STAGE1_DIR = new URL('../../docs/stage1/', import.meta.url).pathname;

export type Stage1Kind = 'nginx' | 'caddy' | 'haproxy';

export interface Stage1Settings {
  domain: string;
  httpsPort: number;
  httpPort: number;
  /** host:port of the gateway's public listener. */
  gateway: string;
  /** `<name>.crt`/`.key` files (nginx). */
  splitDir: string;
  /** `<name>.pem` bundles (Caddy, HAProxy). */
  bundleDir: string;
  adminPort: number;
}

export interface RunningStage1 {
  output(): string;
  stop(): Promise<void>;
}

/** The placeholders, as an environment: what docs/stage1.md tells an operator to set. */
export function stage1Env(kind: Stage1Kind, s: Stage1Settings): Record<string, string> {
  return {
    DEMIURGE_DOMAIN: s.domain,
    DEMIURGE_DOMAIN_RE: s.domain.replaceAll('.', '\\.'),
    DEMIURGE_HTTPS_PORT: String(s.httpsPort),
    DEMIURGE_HTTP_PORT: String(s.httpPort),
    DEMIURGE_GATEWAY: s.gateway,
    DEMIURGE_CERT_DIR: kind === 'nginx' ? s.splitDir : s.bundleDir,
    DEMIURGE_CADDY_ADMIN: `127.0.0.1:${s.adminPort}`,
  };
}

/** envsubst restricted to ${DEMIURGE_*}; a placeholder without a value is an error, not an empty string. */
export function render(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(DEMIURGE_[A-Z_]+)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
}

function command(kind: Stage1Kind, dir: string, env: Record<string, string>): [string, string[]] {
  if (kind === 'haproxy') return ['haproxy', ['-db', '-f', join(STAGE1_DIR, 'haproxy.cfg')]];
  if (kind === 'caddy')
    return ['caddy', ['run', '--adapter', 'caddyfile', '--config', join(STAGE1_DIR, 'Caddyfile')]];
  // nginx: the checked-in file is http-context; a minimal main context around it, as Debian's has.
  const site = join(dir, 'demiurge.conf');
  writeFileSync(site, render(readFileSync(join(STAGE1_DIR, 'nginx.conf'), 'utf8'), env));
  const temp = (n: string) => `${n}_temp_path ${join(dir, n)};`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${join(dir, 'nginx.pid')};\nerror_log stderr notice;\nworker_processes 1;\nevents {}\n` +
      `http {\n access_log off;\n ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}\n` +
      ` include ${site};\n}\n`,
  );
  return ['nginx', ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']];
}

const PACKAGES: Record<Stage1Kind, string> = { nginx: 'nginx-light', caddy: 'caddy', haproxy: 'haproxy' };

/** Starts `kind` and waits until its HTTPS port accepts connections. */
export async function startStage1(kind: Stage1Kind, dir: string, s: Stage1Settings): Promise<RunningStage1> {
  requireCommand(kind, PACKAGES[kind]);
  mkdirSync(dir, { recursive: true });
  const env = stage1Env(kind, s);
  const [cmd, args] = command(kind, dir, env);
  const child: ChildProcess = spawn(cmd, args, {
    cwd: dir,
    env: { ...process.env, ...env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  for (const end = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null)
      throw new Error(`${kind} exited with ${child.exitCode}: ${out.slice(-1500)}`);
    // A finished TLS handshake, not an open port: a parallel test may have taken the port first.
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({
        port: s.httpsPort,
        host: '127.0.0.1',
        servername: `gateway.${s.domain}`,
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => resolve(true)).once('error', () => resolve(false));
      socket.once('secureConnect', () => socket.destroy());
      socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    });
    if (open) break;
    if (Date.now() > end) throw new Error(`${kind} did not listen on ${s.httpsPort}: ${out.slice(-1500)}`);
  }
  if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}: ${out.slice(-1500)}`);
  return {
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
