/**
 * The compiled agent: `scripts/build-images.ts` builds both binaries and the contexts; the glibc binary
 * runs here (settings, map, watchdog against a loopback server, SIGTERM); the musl one is checked
 * statically (it cannot run on Debian): its ELF interpreter must be musl's loader.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageRegistry } from '../../images/registry.ts';
import { EventBody } from '../../shared/protocol.ts';
import { requireCommand } from '../support/prerequisites.ts';
import { SETTINGS } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '../..');
const BUN = join(ROOT, 'node_modules/.bin/bun');

/** The PT_INTERP string of a 64-bit little-endian ELF file (read from its program headers). */
function elfInterpreter(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    if (header[4] !== 2 || header[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF`);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const entry = table.subarray(i * phentsize, (i + 1) * phentsize);
      if (entry.readUInt32LE(0) !== 3) continue; // PT_INTERP
      const offset = Number(entry.readBigUInt64LE(8));
      const size = Number(entry.readBigUInt64LE(32));
      const interp = Buffer.alloc(size);
      readSync(fd, interp, 0, size, offset);
      return interp.toString('latin1').replace(/\0+$/, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

let out: string;
let glibc: string;
let musl: string;
const posted: { auth: string | undefined; body: string; url: string }[] = [];
let server: Server;
let eventsUrl: string;

beforeAll(async () => {
  if (!existsSync(BUN)) throw new Error('missing prerequisite "bun": install it with: npm i -D bun');
  out = mkdtempSync(join(tmpdir(), 'dg-images-'));
  const build = spawnSync(BUN, ['scripts/build-images.ts', '--out', out, '--no-docker', '--no-measure'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 50_000,
  });
  if (build.status !== 0) throw new Error(`build-images failed: ${build.stderr}${build.stdout}`);
  glibc = join(out, 'agent/demiurge-agent-glibc');
  musl = join(out, 'agent/demiurge-agent-musl');
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      posted.push({ auth: req.headers.authorization, body, url: req.url ?? '' });
      res.writeHead(req.url === '/collab/event' ? 200 : 404, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/collab/event`;
});
afterAll(async () => {
  await new Promise((done) => server?.close(done));
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Runs the glibc agent to completion (async: the test's HTTP server must keep answering). */
function agent(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(glibc, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`agent ${args.join(' ')} did not finish: ${stderr}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('the compiled agent (glibc)', () => {
  it('prints a settings field', async () => {
    const r = await agent(['settings', 'user_container_id'], { SETTINGS });
    expect(r).toMatchObject({ code: 0, stdout: 'uc_k3x9\n', stderr: '' });
  });

  it('exits 2 with one line naming the problem for bad SETTINGS', async () => {
    const notBase64 = await agent(['settings', 'user_container_id'], { SETTINGS: '%%%' });
    expect(notBase64).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'demiurge-agent: SETTINGS is not base64\n',
    });
    const missing = await agent(['settings', 'token'], {});
    expect(missing).toMatchObject({ code: 2, stderr: 'demiurge-agent: SETTINGS is not set\n' });
    const noToken = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(SETTINGS, 'base64').toString()), token: undefined }),
    ).toString('base64');
    const field = await agent(['map', 'terminal', '7681'], { SETTINGS: noToken });
    expect(field).toMatchObject({ code: 2, stderr: 'demiurge-agent: SETTINGS field "token" is missing\n' });
  });

  it('exits 2 naming a bad environment variable', async () => {
    const r = await agent(['watchdog'], { SETTINGS, DEMIURGE_INSECURE_TLS: 'please' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^demiurge-agent: DEMIURGE_INSECURE_TLS /);
  });

  it('`map NAME PORT` posts one registration with the raw token, shaped as the legacy client does', async () => {
    posted.length = 0;
    const r = await agent(['map', 'terminal', '7681'], { SETTINGS, DEMIURGE_EVENTS_URL: eventsUrl });
    expect(r.code).toBe(0);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.auth).toBe('raw.jwt.token');
    expect(JSON.parse(posted[0]?.body ?? '')).toEqual({
      event: { type: 'user-container:map-http-service', name: 'terminal', port: 7681 },
      project_id: 'proj-1',
    });
  });

  it('`watchdog` posts typed stats of this machine, with a measured round trip', async () => {
    posted.length = 0;
    const r = await agent(['watchdog'], { SETTINGS, DEMIURGE_EVENTS_URL: eventsUrl });
    expect(r.code).toBe(0);
    expect(posted.map((p) => p.url)).toEqual(['/healthz', '/collab/event']);
    const body = EventBody.parse(JSON.parse(posted[1]?.body ?? ''));
    if (body.event.type !== 'user-container:watchdog') throw new Error('not a watchdog');
    expect(body.event.stats?.cpu.count).toBeGreaterThan(0);
    expect(body.event.stats?.memory.totalMb).toBeGreaterThan(0);
    expect(body.event.stats?.disk.sizeBytes).toBeGreaterThan(0);
    expect(body.event.stats?.network.pingMs).toBeGreaterThanOrEqual(0);
  });

  it('stops cleanly with exit 0 on SIGTERM while backing off', async () => {
    const child: ChildProcess = spawn(glibc, ['run', '--service', 'terminal:7681'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        SETTINGS,
        DEMIURGE_GATEWAY_URL: 'http://127.0.0.1:9',
        DEMIURGE_EVENTS_URL: eventsUrl,
      },
    });
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no back-off seen: ${stderr}`)), 15_000);
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('vpn reconnect scheduled')) {
          clearTimeout(timer);
          done();
        }
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('"message":"stopped"');
    expect(stderr).not.toContain('raw.jwt.token');
  });

  it('is a dynamically linked ELF for the glibc loader', () => {
    expect(elfInterpreter(glibc)).toBe('/lib64/ld-linux-x86-64.so.2');
  });
});

describe('the compiled agent fetching its VPN config over TLS', () => {
  let https: ReturnType<typeof createHttpsServer>;
  let url: string;
  let caPath: string;
  beforeAll(async () => {
    requireCommand('openssl', 'openssl');
    const keyPath = join(out, 'tls-key.pem');
    caPath = join(out, 'tls-cert.pem');
    // A self-signed certificate for 127.0.0.1: generated per run, never committed.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        caPath,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    // A config with no remote: the agent refuses it before starting OpenVPN, and says so.
    https = createHttpsServer({ key: readFileSync(keyPath), cert: readFileSync(caPath) }, (_req, res) => {
      res.end('client\ndev tun\n');
    });
    await new Promise<void>((done) => https.listen(0, '127.0.0.1', done));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => https?.close(done));
  });

  /** The error of the agent's first VPN attempt. */
  async function firstAttemptError(env: Record<string, string>): Promise<string> {
    const child = spawn(glibc, ['vpn-loop'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SETTINGS, DEMIURGE_GATEWAY_URL: url, ...env },
    });
    const exited = new Promise((done) => child.once('exit', done));
    let stderr = '';
    try {
      return await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no attempt seen: ${stderr}`)), 15_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const line = stderr.split('\n').find((l) => l.includes('vpn attempt failed'));
          if (line) {
            clearTimeout(timer);
            done(String(JSON.parse(line).error));
          }
        });
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }

  it('refuses a certificate the system CAs do not vouch for', async () => {
    expect(await firstAttemptError({})).toMatch(/self.signed|certificate/i);
  });

  it('accepts it when pinned with DEMIURGE_GATEWAY_CA (a file path)', async () => {
    expect(await firstAttemptError({ DEMIURGE_GATEWAY_CA: caPath })).toBe('the config names no remote');
  });

  it('accepts it when pinned inline in the settings (gateway_ca)', async () => {
    const withCa = {
      ...JSON.parse(Buffer.from(SETTINGS, 'base64').toString()),
      gateway_ca: readFileSync(caPath, 'utf8'),
    };
    const error = await firstAttemptError({
      SETTINGS: Buffer.from(JSON.stringify(withCa)).toString('base64'),
    });
    expect(error).toBe('the config names no remote');
  });

  it('skips verification only with DEMIURGE_INSECURE_TLS=1', async () => {
    expect(await firstAttemptError({ DEMIURGE_INSECURE_TLS: '1' })).toBe('the config names no remote');
    expect(await firstAttemptError({ DEMIURGE_INSECURE_TLS: '0' })).toMatch(/self.signed|certificate/i);
  });
});

describe('the compiled agent (musl)', () => {
  it('is an ELF for the musl loader (Alpine images install libstdc++ and libgcc for it)', () => {
    expect(statSync(musl).size).toBeGreaterThan(1_000_000);
    expect(elfInterpreter(musl)).toBe('/lib/ld-musl-x86_64.so.1');
  });
});

describe('the build contexts', () => {
  it('hold the Dockerfile, entrypoint, shim and the agent built for the image libc', () => {
    for (const image of imageRegistry().images) {
      const context = join(out, 'images', image.id.replace(':', '-'));
      for (const file of ['Dockerfile', 'entrypoint.sh', 'demiurge-functions.sh'])
        expect(readFileSync(join(context, file), 'utf8')).toBe(
          readFileSync(
            join(ROOT, 'images', file === 'demiurge-functions.sh' ? '' : image.dockerfileDir, file),
            'utf8',
          ),
        );
      const agentFile = join(context, 'demiurge-agent');
      expect(statSync(agentFile).mode & 0o111).toBe(0o111);
      expect(elfInterpreter(agentFile)).toBe(
        image.libc === 'musl' ? '/lib/ld-musl-x86_64.so.1' : '/lib64/ld-linux-x86-64.so.2',
      );
    }
  });

  it('lays out the gateway context with its bundle, Lua scripts and lockfile, and no TypeScript sources', () => {
    const context = join(out, 'images', 'gateway');
    for (const path of [
      'Dockerfile',
      'entrypoint.sh',
      'package.json',
      'package-lock.json',
      'dist/gateway/main.mjs',
      'redis/map_service.lua',
    ])
      expect(existsSync(join(context, path)), path).toBe(true);
    for (const path of ['shared', 'gateway', 'tsconfig.json'])
      expect(existsSync(join(context, path)), path).toBe(false);
  });
});
