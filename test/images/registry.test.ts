import { describe, expect, it } from 'vitest';
import type { ImageDefinitionInput, ImageModule } from '../../images/image-definition.ts';
import { buildRegistry, imageRegistry } from '../../images/registry.ts';
import { GatewayError } from '../../shared/errors.ts';

const image = (id: string, overrides: Partial<ImageDefinitionInput> = {}): ImageDefinitionInput => ({
  id,
  name: id,
  image: `demiurge/${id.replace(':', '-')}:latest`,
  dockerfileDir: 'ubuntu',
  libc: 'glibc',
  services: [{ name: 'web', port: 8080, primary: true, access: 'project' }],
  requirements: { capabilities: ['NET_ADMIN'], devices: ['/dev/net/tun'] },
  ...overrides,
});
const errorOf = (modules: ImageModule[]) => {
  try {
    buildRegistry(modules);
  } catch (error) {
    if (error instanceof GatewayError) return error.message;
    throw error;
  }
  throw new Error('expected the registry to refuse');
};

describe('the project registry', () => {
  it('holds the five user images, grouped by module', () => {
    const registry = imageRegistry();
    expect(registry.images.map((i) => i.id)).toEqual([
      'ubuntu:terminal',
      'jupyter:minimal',
      'jupyter:pytorch',
      'pgadmin:latest',
      'n8n:latest',
    ]);
    expect(Object.fromEntries(registry.byModule())).toEqual({
      terminal: ['ubuntu:terminal'],
      jupyter: ['jupyter:minimal', 'jupyter:pytorch'],
      pgadmin: ['pgadmin:latest'],
      n8n: ['n8n:latest'],
    });
    expect(registry.get('jupyter:pytorch')).toMatchObject({
      module: 'jupyter',
      buildArgs: { VARIANT: 'pytorch' },
      services: [{ name: 'jupyterlab', port: 8888, primary: true, access: 'project' }],
      requirements: { capabilities: ['NET_ADMIN'], devices: ['/dev/net/tun'] },
    });
    expect(registry.get('nope:latest')).toBeUndefined();
  });

  it('declares the legacy service names and ports', () => {
    const ports = Object.fromEntries(
      imageRegistry().images.map((i) => [i.id, i.services.map((s) => `${s.name}:${s.port}`)]),
    );
    expect(ports).toEqual({
      'ubuntu:terminal': ['terminal:7681'],
      'jupyter:minimal': ['jupyterlab:8888'],
      'jupyter:pytorch': ['jupyterlab:8888'],
      'pgadmin:latest': ['pgadmin4:5050'],
      'n8n:latest': ['n8n:5678'],
    });
  });
});

describe('buildRegistry', () => {
  it('refuses a duplicate id across modules, naming both', () => {
    expect(
      errorOf([
        { name: 'a', images: [image('x:1')] },
        { name: 'b', images: [image('x:1')] },
      ]),
    ).toBe('image registry: image id "x:1" is registered by "a" and "b"');
  });

  it('refuses a duplicate id within a module', () => {
    expect(errorOf([{ name: 'a', images: [image('x:1'), image('x:1')] }])).toMatch(
      /"x:1" is registered by "a" and "a"/,
    );
  });

  it('refuses a module registered twice', () => {
    expect(
      errorOf([
        { name: 'a', images: [image('x:1')] },
        { name: 'a', images: [image('y:1')] },
      ]),
    ).toMatch(/module "a" is registered twice/);
  });

  it.each([
    ['no NET_ADMIN', { requirements: { capabilities: [], devices: ['/dev/net/tun'] } }, /lack NET_ADMIN/],
    ['no tun device', { requirements: { capabilities: ['NET_ADMIN'], devices: [] } }, /lack \/dev\/net\/tun/],
    [
      'two primaries',
      {
        services: [
          { name: 'a', port: 1, primary: true, access: 'project' as const },
          { name: 'b', port: 2, primary: true, access: 'project' as const },
        ],
      },
      /exactly one primary/,
    ],
    ['no services', { services: [] }, /services/],
    [
      'a bad port',
      { services: [{ name: 'a', port: 70000, primary: true, access: 'project' as const }] },
      /port/,
    ],
    [
      'a bad service name',
      { services: [{ name: 'A b', port: 1, primary: true, access: 'org' as const }] },
      /name/,
    ],
    ['a bad id', { id: 'Ubuntu Terminal' }, /id/],
  ])('refuses an image with %s', (_case, overrides, message) => {
    expect(errorOf([{ name: 'a', images: [image('x:1', overrides)] }])).toMatch(message);
  });
});
