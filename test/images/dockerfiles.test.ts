/** Each Dockerfile and entrypoint agrees with the registry: ports, services, agent, tini, entrypoint. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServiceSpec } from '../../images/agent/services.ts';
import { imageRegistry, type RegisteredImage } from '../../images/registry.ts';

const IMAGES = join(import.meta.dirname, '../../images');
const read = (dir: string, file: string) => readFileSync(join(IMAGES, dir, file), 'utf8');
/** Dockerfile instructions with continuation lines joined and comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

const byDir = new Map<string, RegisteredImage[]>();
for (const image of imageRegistry().images)
  byDir.set(image.dockerfileDir, [...(byDir.get(image.dockerfileDir) ?? []), image]);

/** Services an entrypoint declares, through the agent's `--service` or the shim's `map_http_service`. */
function declaredServices(entrypoint: string) {
  const services = [];
  for (const m of entrypoint.matchAll(/--service[= ](\S+)/g)) {
    const spec = parseServiceSpec(m[1] ?? '');
    if (typeof spec === 'string') throw new Error(spec);
    services.push({ ...spec, explicit: true });
  }
  for (const m of entrypoint.matchAll(/^\s*map_http_service\s+(\S+)\s+(\d+)/gm))
    services.push({ name: m[1], port: Number(m[2]), explicit: false });
  return services;
}

describe.each([...byDir.entries()])('images/%s', (dir, images) => {
  const lines = instructions(read(dir, 'Dockerfile'));
  const entrypoint = read(dir, 'entrypoint.sh');
  const libc = images[0]?.libc;
  const services = images[0]?.services ?? [];

  it('is registered with one service list and one libc for all its variants', () => {
    for (const image of images) {
      expect(image.services).toEqual(services);
      expect(image.libc).toBe(libc);
    }
  });

  it('EXPOSEs exactly the registered ports', () => {
    const exposed = lines
      .filter((l) => l.startsWith('EXPOSE '))
      .flatMap((l) => l.split(/\s+/).slice(1))
      .map(Number)
      .sort();
    expect(exposed).toEqual(services.map((s) => s.port).sort());
  });

  it('declares the registered services in its entrypoint, and no others', () => {
    const declared = declaredServices(entrypoint);
    expect(declared.map((s) => `${s.name}:${s.port}`).sort()).toEqual(
      services.map((s) => `${s.name}:${s.port}`).sort(),
    );
    for (const d of declared.filter((s) => s.explicit))
      expect(d).toMatchObject(services.find((s) => s.name === d.name) ?? {});
    if (declared.some((s) => !s.explicit))
      expect(entrypoint).toMatch(/^\. \/usr\/local\/lib\/demiurge-functions\.sh$/m);
    if (declared.some((s) => !s.explicit)) expect(entrypoint).toMatch(/^vpn_loop &$/m);
  });

  it('installs the agent, the shim, tini, openvpn and iproute2 for the right libc', () => {
    expect(lines).toContain('COPY demiurge-agent /usr/local/bin/demiurge-agent');
    expect(lines).toContain('COPY demiurge-functions.sh /usr/local/lib/demiurge-functions.sh');
    const install = lines.find((l) => /^RUN .*(apt-get install|apk add)/.test(l)) ?? '';
    for (const pkg of ['tini', 'openvpn', 'iproute2']) expect(install.split(/\s+/)).toContain(pkg);
    if (libc === 'musl') {
      expect(install).toMatch(/apk add/);
      expect(install.split(/\s+/)).toEqual(expect.arrayContaining(['libstdc++', 'libgcc']));
    } else {
      expect(install).toMatch(/apt-get install/);
    }
  });

  it('starts its entrypoint under tini', () => {
    const entry = lines.find((l) => l.startsWith('ENTRYPOINT '));
    const argv = JSON.parse(entry?.slice('ENTRYPOINT '.length) ?? '[]') as string[];
    expect(argv[0]).toBe(libc === 'musl' ? '/sbin/tini' : '/usr/bin/tini');
    const script = argv.at(-1) ?? '';
    expect(lines).toContain(`COPY entrypoint.sh ${script}`);
    expect(entrypoint.startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('declares every registered build argument', () => {
    for (const image of images)
      for (const [name, value] of Object.entries(image.buildArgs)) {
        expect(lines.some((l) => l.startsWith(`ARG ${name}`))).toBe(true);
        expect(read(dir, 'Dockerfile')).toContain(`${value})`);
      }
  });
});

describe('images/gateway', () => {
  const lines = instructions(read('gateway', 'Dockerfile'));
  it('runs under tini with Debian openvpn, a health check, a data volume and production defaults', () => {
    expect(lines[0]).toMatch(/^FROM node:20-/);
    expect(lines.find((l) => l.includes('apt-get install'))?.split(/\s+/)).toEqual(
      expect.arrayContaining(['openvpn', 'tini']),
    );
    expect(lines.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/healthz'))).toBe(true);
    expect(lines).toContain('VOLUME /data');
    const env = lines.find((l) => l.startsWith('ENV ')) ?? '';
    expect(env).toContain('VPN_ENABLED=true');
    expect(env).toContain('DEV_SIGNING_KEY=false');
    expect(env).not.toContain('REDIS_URL');
    expect(lines.find((l) => l.startsWith('ENTRYPOINT '))).toContain('/usr/bin/tini');
    expect(read('gateway', 'entrypoint.sh')).toContain('REDIS_URL must be set');
  });

  it('runs the bundle on plain node, next to the files it reads from two folders up', () => {
    const cmd = lines.find((l) => l.startsWith('CMD '));
    expect(JSON.parse(cmd?.slice('CMD '.length) ?? '[]')).toEqual(['node', 'dist/gateway/main.mjs']);
    expect(lines).toContain('WORKDIR /app');
    expect(lines).toContain('COPY dist/gateway/main.mjs ./dist/gateway/main.mjs');
    expect(lines).toContain('COPY redis ./redis');
    expect(lines.some((l) => /^COPY package\.json package-lock\.json \.\/$/.test(l))).toBe(true);
    // Runtime packages only, and nothing that compiles TypeScript at start.
    expect(lines.find((l) => l.includes('npm ci'))).toContain('--omit=dev');
    expect(lines.join('\n')).not.toMatch(/\btsx\b|\.ts\b/);
  });
});
