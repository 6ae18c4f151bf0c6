/**
 * pgAdmin signs users in through the gateway (issue 19), tested without Docker: the registry and the
 * Dockerfile declare the same client, and the entrypoint's two steps run for real against a gateway
 * process: the agent (from source, on Bun) registers the service as a client and prints it, and the
 * image's config writer turns that into pgAdmin's OAUTH2 settings, read back here by Python itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageRegistry } from '../../images/registry.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ORG = 'org-a';
const PROJECT = 'proj-a';
const CONTAINER = 'pg1';

const dockerfile = () => readFileSync(join(ROOT, 'images/pgadmin4/Dockerfile'), 'utf8');
const declaredPaths = () => {
  const service = imageRegistry()
    .get('pgadmin:latest')
    ?.services.find((s) => s.name === 'pgadmin4');
  return service?.oidc?.redirect_paths;
};

describe('pgAdmin OAUTH2 against the gateway', () => {
  it('is declared by the registry and baked into the image alike', () => {
    expect(declaredPaths()).toEqual(['/oauth2/authorize']);
    const env = /^ENV DEMIURGE_OIDC_REDIRECT_PATHS=(.*)$/m.exec(dockerfile())?.[1];
    expect(env?.split(' ')).toEqual(declaredPaths());
    expect(dockerfile()).toMatch(/^COPY oauth2-config\.py \/usr\/local\/lib\/pgadmin-oauth2-config\.py$/m);
    expect(dockerfile()).toMatch(/^COPY oauth2-login\.sh \/usr\/local\/lib\/demiurge-oauth2-login\.sh$/m);
    const entrypoint = readFileSync(join(ROOT, 'images/pgadmin4/entrypoint.sh'), 'utf8');
    expect(entrypoint).toContain('. /usr/local/lib/demiurge-oauth2-login.sh');
    expect(entrypoint).toMatch(/^configure_oauth2_login$/m);
    const login = readFileSync(join(ROOT, 'images/pgadmin4/oauth2-login.sh'), 'utf8');
    expect(login).toContain('oidc-client pgadmin4 5050 $DEMIURGE_OIDC_REDIRECT_PATHS');
    expect(login).toContain('/usr/local/lib/pgadmin-oauth2-config.py');
  });

  describe('the entrypoint steps, against a gateway process', () => {
    let gw: GatewayProcess;
    let token: string;
    beforeAll(async () => {
      gw = await startGateway('node');
      token = await gw.token(CONTAINER, PROJECT, ORG);
    });
    afterAll(async () => {
      await gw?.stop();
    });

    /** Runs the image's configure_oauth2_login under dash, with the given agent and environment. */
    const configure = (agent: string, env: Record<string, string>) =>
      spawnSync(
        'dash',
        ['-c', `set -eu\n. "${join(ROOT, 'images/pgadmin4/oauth2-login.sh')}"\nconfigure_oauth2_login`],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            DEMIURGE_AGENT: agent,
            DEMIURGE_OAUTH2_WRITER: join(ROOT, 'images/pgadmin4/oauth2-config.py'),
            ...env,
          },
          encoding: 'utf8',
        },
      );

    it('registers the client, and writes a pgAdmin config that names it, with PKCE (mode 600)', async () => {
      const settings = Buffer.from(
        JSON.stringify({
          user_id: 'u1',
          frontend_fqdn: 'app.example.com',
          ganymede_fqdn: 'api.example.com',
          gateway_fqdn: `localhost:${gw.port}`,
          token,
          project_id: PROJECT,
          user_container_id: CONTAINER,
        }),
      ).toString('base64');
      // The agent from source, as one command (the image's is a compiled binary).
      const dir = mkdtempSync(join(tmpdir(), 'dg-pgadmin-'));
      const agent = join(dir, 'demiurge-agent');
      writeFileSync(
        agent,
        `#!/bin/sh\nexec "${join(ROOT, 'node_modules/.bin/bun')}" "${join(ROOT, 'images/agent/main.ts')}" "$@"\n`,
      );
      chmodSync(agent, 0o755);
      const configFile = join(dir, 'config_local.py');
      const paths = (/^ENV DEMIURGE_OIDC_REDIRECT_PATHS=(.*)$/m.exec(dockerfile())?.[1] ?? '').trim();
      const run = configure(agent, {
        SETTINGS: settings,
        DEMIURGE_EVENTS_URL: `${gw.base}/collab/event`,
        DEMIURGE_OIDC_REDIRECT_PATHS: paths,
        PGADMIN_CONFIG_LOCAL: configFile,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(statSync(configFile).mode & 0o777).toBe(0o600);
      // The same client the gateway hands the container over its own channel.
      const fetched = await fetch(`${gw.base}/collab/oidc-client?service=pgadmin4`, {
        headers: { authorization: token },
      }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
      expect(`${run.stdout}${run.stderr}`).not.toContain(fetched.client_secret);
      const written = { status: 0, stdout: readFileSync(configFile, 'utf8'), stderr: '' };
      rmSync(dir, { recursive: true, force: true });
      // Python reads the file back: what pgAdmin will see.
      const read = spawnSync(
        'python3',
        [
          '-c',
          'import json,sys; ns={}; exec(sys.stdin.read(), ns); print(json.dumps({k: ns[k] for k in ("AUTHENTICATION_SOURCES","OAUTH2_AUTO_CREATE_USER","OAUTH2_CONFIG")}))',
        ],
        { input: written.stdout, encoding: 'utf8' },
      );
      expect(read.status, read.stderr).toBe(0);
      const config = JSON.parse(read.stdout);
      const issuer = `http://localhost:${gw.port}`;
      const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json());
      expect(config.AUTHENTICATION_SOURCES).toEqual(['oauth2', 'internal']);
      expect(config.OAUTH2_AUTO_CREATE_USER).toBe(true);
      expect(config.OAUTH2_CONFIG).toEqual([
        expect.objectContaining({
          OAUTH2_CLIENT_ID: `uc-${CONTAINER}--pgadmin4.org-${ORG}.localhost`,
          OAUTH2_CLIENT_SECRET: fetched.client_secret,
          OAUTH2_SERVER_METADATA_URL: `${issuer}/.well-known/openid-configuration`,
          OAUTH2_AUTHORIZATION_URL: discovery.authorization_endpoint,
          OAUTH2_TOKEN_URL: discovery.token_endpoint,
          OAUTH2_USERINFO_ENDPOINT: discovery.userinfo_endpoint,
          OAUTH2_SCOPE: 'openid profile groups',
          OAUTH2_USERNAME_CLAIM: 'preferred_username',
          OAUTH2_CHALLENGE_METHOD: 'S256',
          OAUTH2_RESPONSE_TYPE: 'code',
        }),
      ]);
      expect(gw.output()).not.toContain(fetched.client_secret);
    });

    it('leaves pgAdmin its own login when no client comes, or when the image turns it off', () => {
      const dir = mkdtempSync(join(tmpdir(), 'dg-pgadmin-'));
      const configFile = join(dir, 'config_local.py');
      const failing = configure('/bin/false', {
        DEMIURGE_OIDC_REDIRECT_PATHS: '/oauth2/authorize',
        DEMIURGE_OIDC_TRIES: '1',
        PGADMIN_CONFIG_LOCAL: configFile,
      });
      expect(failing.status).toBe(0);
      expect(failing.stderr).toContain('pgAdmin keeps its own login');
      expect(existsSync(configFile)).toBe(false);
      // Turned off: the agent is never asked (a marker it would leave stays absent).
      const marker = join(dir, 'asked');
      const asking = join(dir, 'asking-agent');
      writeFileSync(asking, `#!/bin/sh\ntouch "${marker}"\n`);
      chmodSync(asking, 0o755);
      const off = configure(asking, {
        DEMIURGE_OIDC_REDIRECT_PATHS: '',
        PGADMIN_CONFIG_LOCAL: configFile,
      });
      expect(off.status).toBe(0);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(configFile)).toBe(false);
      // The same agent is asked when the paths are set; it prints no client: nothing half-written stays.
      const on = configure(asking, { DEMIURGE_OIDC_REDIRECT_PATHS: '/cb', PGADMIN_CONFIG_LOCAL: configFile });
      expect(on.status).toBe(0);
      expect(existsSync(marker)).toBe(true);
      expect(on.stderr).toContain('could not be written');
      expect(existsSync(configFile)).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
