/**
 * gatewayctl's command line in-process (no process starts): strict parsing into usage errors, help per
 * command, which admin API it picks and why, and the ids `token` refuses because the gateway would.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN, resolveAdmin } from '../../scripts/gatewayctl/admin-api.ts';
import { parseCommandLine, UsageError } from '../../scripts/gatewayctl/cli.ts';
import { COMMANDS, commandHelp, usage } from '../../scripts/gatewayctl/commands.ts';
import { identityProblem } from '../../shared/container-identity.ts';
import { hostnamesFor } from '../../shared/hostnames.ts';
import { ORG, PROJECT } from '../support/control.ts';

const usageError = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) return { message: err.message, command: err.command };
    throw err;
  }
  throw new Error(`${argv.join(' ')} parsed`);
};

describe('gatewayctl command line', () => {
  it('parses each command with its own options only', () => {
    expect(parseCommandLine(['routes', '--json'])).toMatchObject({
      command: 'routes',
      values: { json: true },
    });
    expect(parseCommandLine([])).toMatchObject({ command: 'help', positionals: [] });
    expect(parseCommandLine(['--help'])).toMatchObject({ command: 'help' });
    expect(parseCommandLine(['revoke', 'uc_1', '--admin', 'http://127.0.0.1:9091'])).toMatchObject({
      command: 'revoke',
      positionals: ['uc_1'],
      values: { admin: 'http://127.0.0.1:9091' },
    });
    expect(parseCommandLine(['token', '--ttl', '1h', '--container', 'c', '--org', 'o'])).toMatchObject({
      values: { ttl: '1h', container: 'c', org: 'o' },
    });
  });

  it('says what is wrong in one line, naming the command whose usage follows', () => {
    expect(usageError(['frobnicate'])).toEqual({
      message: 'unknown command "frobnicate"',
      command: undefined,
    });
    expect(usageError(['routes', '--jsn'])).toEqual({
      message: 'routes has no option --jsn',
      command: 'routes',
    });
    expect(usageError(['routes', '--ttl', '1d']).message).toBe('routes has no option --ttl');
    expect(usageError(['routes', 'extra']).message).toBe('routes takes no argument "extra"');
    expect(usageError(['revoke']).message).toBe('revoke needs ID');
    expect(usageError(['revoke', 'a', 'b']).message).toBe('revoke takes no argument "b"');
    expect(usageError(['token', '--ttl']).message).toBe('option --ttl of token needs a value');
    expect(usageError(['routes', '--json=yes']).message).toBe('option --json of routes takes no value');
    for (const argv of [['frobnicate'], ['routes', '--jsn'], ['token', '--ttl']])
      expect(usageError(argv).message).not.toContain('\n');
  });

  it('has help for every command, naming each option it takes', () => {
    for (const [name, spec] of Object.entries(COMMANDS)) {
      const help = commandHelp(name as keyof typeof COMMANDS);
      expect(help).toMatch(new RegExp(`^usage: gatewayctl ${name}`));
      for (const option of spec.options) expect(help, name).toContain(`--${option}`);
      expect(usage()).toContain(`  ${name} `);
    }
    // Every read command takes --json.
    for (const [name, spec] of Object.entries(COMMANDS))
      if (spec.read) expect(spec.options, name).toContain('json');
  });

  it('picks the admin API from --admin, ADMIN_HOST/ADMIN_PORT or the default, and says which', () => {
    expect(resolveAdmin({})).toEqual({ base: DEFAULT_ADMIN, origin: expect.stringMatching(/^default/) });
    expect(resolveAdmin({ ADMIN_PORT: '9091' })).toEqual({
      base: 'http://127.0.0.1:9091',
      origin: 'ADMIN_PORT',
    });
    expect(resolveAdmin({ ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '9091' }).base).toBe('http://127.0.0.1:9091');
    expect(resolveAdmin({ ADMIN_HOST: '::1' })).toEqual({ base: 'http://[::1]:9090', origin: 'ADMIN_HOST' });
    expect(resolveAdmin({ ADMIN_PORT: '9091' }, 'http://10.0.0.2:9999/')).toEqual({
      base: 'http://10.0.0.2:9999',
      origin: '--admin',
    });
    for (const bad of ['localhost:9090', 'ftp://h', 'http://h/admin', 'http://u:p@h'])
      expect(() => resolveAdmin({}, bad), bad).toThrow(UsageError);
    expect(() => resolveAdmin({ ADMIN_PORT: 'nine' })).toThrow('ADMIN_PORT must be a port number');
  });

  it('token refuses the ids the gateway refuses, and takes the ones it takes', () => {
    const ok = { containerId: 'uc_ok-1', projectId: PROJECT, orgId: ORG };
    expect(identityProblem(ok)).toBeUndefined();
    // What it takes, the gateway maps: a service hostname for the longest container id allowed.
    const longest = { ...ok, containerId: `c${'x'.repeat(56)}` };
    expect(identityProblem(longest)).toBeUndefined();
    expect(() => hostnamesFor({ ...longest, domain: 'localhost' }, 'a', true)).not.toThrow();
    for (const [identity, why] of [
      [{ ...ok, containerId: 'uc--two' }, 'may not contain "--"'],
      [{ ...ok, containerId: 'uc_ends_' }, 'does not make a DNS label'],
      [{ ...ok, containerId: '_leading' }, 'container id "_leading" is refused'],
      [{ ...ok, containerId: 'has space' }, 'container id "has space" is refused'],
      [{ ...longest, containerId: `${longest.containerId}x` }, 'leaves no room for a service name'],
      [{ ...ok, projectId: 'not a project!' }, 'project id "not a project!" is refused'],
      [{ ...ok, orgId: 'org.dotted' }, 'org id "org.dotted" is refused'],
      [{ ...ok, orgId: 'ends-' }, 'organisation id "ends-" does not make a DNS label'],
    ] as const) {
      expect(identityProblem(identity), JSON.stringify(identity)).toContain(why);
      if (why.includes('DNS label') || why.includes('no room'))
        expect(() => hostnamesFor({ ...identity, domain: 'localhost' }, 'a', true)).toThrow();
    }
  });
});
