import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../images/agent/cli.ts';
import { mapEvent, oidcMapEvent, parseServiceSpec } from '../../images/agent/services.ts';
import { EventBody } from '../../shared/protocol.ts';

describe('parseServiceSpec', () => {
  it('reads name and port, with project access and not primary by default', () => {
    expect(parseServiceSpec('terminal:7681')).toEqual({
      name: 'terminal',
      port: 7681,
      primary: false,
      access: 'project',
    });
  });

  it('reads the primary flag and an access level in either order', () => {
    expect(parseServiceSpec('jupyterlab:8888:primary:org')).toMatchObject({ primary: true, access: 'org' });
    expect(parseServiceSpec('api:9000:public:primary')).toMatchObject({ primary: true, access: 'public' });
  });

  it.each([
    'Terminal:7681',
    'terminal',
    'terminal:0',
    'terminal:65536',
    'terminal:80a',
    'x:80:everyone',
    ':80',
  ])('refuses "%s"', (spec) => {
    expect(typeof parseServiceSpec(spec)).toBe('string');
  });

  it('builds a map event the shared protocol accepts', () => {
    const spec = parseServiceSpec('n8n:5678:primary');
    if (typeof spec === 'string') throw new Error(spec);
    const body = mapEvent(spec, 'proj-1');
    expect(EventBody.parse(body)).toEqual({
      event: {
        type: 'user-container:map-http-service',
        name: 'n8n',
        port: 5678,
        primary: true,
        access: 'project',
      },
      project_id: 'proj-1',
    });
  });
});

describe('parseCommand', () => {
  it('parses run with several services; the first is primary unless one is marked', () => {
    const parsed = parseCommand(['run', '--service', 'terminal:7681', '--service=files:8080:owner']);
    expect(parsed).toEqual({
      ok: true,
      command: {
        verb: 'run',
        services: [
          { name: 'terminal', port: 7681, primary: true, access: 'project' },
          { name: 'files', port: 8080, primary: false, access: 'owner' },
        ],
      },
    });
    const marked = parseCommand(['run', '--service', 'a:1', '--service', 'b:2:primary']);
    expect(
      marked.ok && marked.command.verb === 'run' && marked.command.services.map((s) => s.primary),
    ).toEqual([false, true]);
  });

  it('parses the legacy verbs', () => {
    expect(parseCommand(['map', 'terminal', '7681'])).toMatchObject({
      ok: true,
      command: { verb: 'map', service: { name: 'terminal', port: 7681 } },
    });
    expect(parseCommand(['vpn-loop'])).toEqual({ ok: true, command: { verb: 'vpn-loop' } });
    expect(parseCommand(['watchdog'])).toEqual({ ok: true, command: { verb: 'watchdog' } });
    expect(parseCommand(['settings', 'token'])).toEqual({
      ok: true,
      command: { verb: 'settings', field: 'token' },
    });
  });

  it('parses oidc-client, and builds a map event with the client request the protocol accepts', () => {
    const parsed = parseCommand(['oidc-client', 'pgadmin4', '5050', '/oauth2/authorize', '/cb']);
    expect(parsed).toMatchObject({
      ok: true,
      command: {
        verb: 'oidc-client',
        service: { name: 'pgadmin4', port: 5050 },
        oidc: { redirect_paths: ['/oauth2/authorize', '/cb'] },
      },
    });
    const body = oidcMapEvent({ name: 'pgadmin4', port: 5050 }, 'proj-1', {
      redirect_paths: ['/oauth2/authorize'],
    });
    expect(EventBody.parse(body)).toEqual({
      event: {
        type: 'user-container:map-http-service',
        name: 'pgadmin4',
        port: 5050,
        oidc: { redirect_paths: ['/oauth2/authorize'] },
      },
      project_id: 'proj-1',
    });
  });

  it.each([
    [[]],
    [['launch']],
    [['oidc-client', 'pgadmin4', '5050']],
    [['oidc-client', 'pgadmin4', '5050', 'https://evil.example/cb']],
    [['oidc-client', 'pgadmin4', '5050', '//evil.example/cb']],
    [['oidc-client', 'pgadmin4', '5050', '/cb?x=1']],
    [['oidc-client', 'pgadmin4', '5050', '/a/../b']],
    [['run', '--service']],
    [['run', 'terminal:7681']],
    [['run', '--service', 'a:1', '--service', 'a:2']],
    [['run', '--service', 'a:1:primary', '--service', 'b:2:primary']],
    [['map', 'terminal']],
    [['map', 'terminal', 'http']],
    [['watchdog', 'now']],
    [['settings']],
  ])('refuses %j', (argv) => {
    expect(parseCommand(argv).ok).toBe(false);
  });
});
