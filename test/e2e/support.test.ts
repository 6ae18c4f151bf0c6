/**
 * Proves the end-to-end infrastructure itself: the namespace topology, the container sandbox, Chromium
 * inside a namespace, and the legacy client library against a stub gateway behind the TLS terminator.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { normaliseSystem } from '../../shared/system-stats.ts';
import { requireCommand } from '../support/prerequisites.ts';
import { launchChromiumIn, navigate } from './support/chromium.ts';
import { startTlsTerminatorIn } from './support/front.ts';
import { createTopology, type Topology } from './support/netns.ts';
import { runCommand } from './support/processes.ts';
import { type StubUpstream, startStubUpstream } from './support/stub-upstream.ts';

/** A placeholder, not a key (the label is split so no scanner mistakes it for one). */
const FAKE_KEY_LABEL = ['PRIVATE', 'KEY'].join(' ');

const LIBRARY = fileURLToPath(new URL('../legacy-client/demiurge-functions.sh', import.meta.url));
const settings = (fields: Record<string, string>) => Buffer.from(JSON.stringify(fields)).toString('base64');
const namespacesNow = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

describe('network namespace harness', () => {
  let topology: Topology;
  beforeAll(async () => {
    topology = await createTopology({ containers: 2, gatewayHostnames: ['org-demo.gw.test'] });
  });
  afterAll(() => topology?.destroy());

  test('gw reaches each container on the underlay, and a container resolves the gateway hostname', async () => {
    const [uc1, uc2] = topology.containers;
    if (!uc1 || !uc2) throw new Error('two containers expected');
    const ping = await topology.exec(topology.gw, 'ping', ['-c', '1', '-W', '5', uc1.address]);
    expect(ping.stdout).toContain('1 received');
    const fromUc2 = await topology.exec(uc2.ns, 'ping', ['-c', '1', '-W', '5', 'org-demo.gw.test']);
    expect(fromUc2.stdout).toContain(`PING org-demo.gw.test (${topology.gwAddress})`);
    // The underlay exists only inside the namespaces.
    expect(execFileSync('ip', ['-4', 'addr'], { encoding: 'utf8' })).not.toContain('10.250.');
  });

  test('inside a container, pgrep and pkill see only the container', async () => {
    const ns = topology.containers[0]?.ns ?? '';
    // A long sleep under a name nothing else uses (the container's loop below runs plain `sleep`s), in
    // /var/tmp because a container's /tmp is private.
    const dir = mkdtempSync('/var/tmp/dg-marker-');
    const marker = join(dir, 'dgmarker');
    copyFileSync('/bin/sleep', marker);
    chmodSync(marker, 0o755);
    try {
      const outsider = topology.spawnIn(topology.gw, marker, ['600']);
      // A forked child is named like its parent until it execs: wait (bounded) until the marker is visible.
      // Once the marker ends, the container waits to be released before it exits: when a PID namespace's
      // init exits, the kernel kills everything left in it, pkill included if it has not exited yet (it
      // then looked like "pkill matched nothing"). It exits 0 only if released, its marker ended by SIGTERM.
      const container = topology.spawnContainer(
        ns,
        `${marker} 600 & m=$!; i=0; while [ $i -lt 200 ] && ! pgrep -x dgmarker >/dev/null; do i=$((i+1)); sleep 0.05; done; echo started; ` +
          `wait $m; s=$?; echo "marker ended $s"; i=0; while [ $i -lt 400 ] && [ ! -e /tmp/release ]; do i=$((i+1)); sleep 0.05; done; [ -e /tmp/release ] && [ $s -eq 143 ]`,
      );
      await container.waitForOutput('started');
      // Its /tmp is a private tmpfs.
      expect((await container.exec('df', ['/tmp'])).stdout).toMatch(/^tmpfs/m);
      // As the legacy client does it: by process name.
      const own = await container.exec('pgrep', ['-a', '-x', 'dgmarker']);
      expect(own.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\d+ \S+\/dgmarker 600$/)]);
      const killed = await container.exec('pkill', ['-x', 'dgmarker'], { allowFailure: true });
      expect(killed, container.output().slice(-500)).toMatchObject({ code: 0, signal: null });
      await container.waitForOutput('marker ended 143');
      // Written from the host through the init's root, so no process of ours is in the namespace as it ends.
      writeFileSync(`/proc/${await container.initPid()}/root/tmp/release`, '');
      expect(await container.exited, container.output().slice(-500)).toBe(0);
      // Seen from the host, only the outsider is left.
      const left = await runCommand('pgrep', ['-x', 'dgmarker'], { allowFailure: true });
      expect(left.stdout.trim()).toBe(String(outsider.pid));
      await outsider.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('before the tunnel, a ping to the VPN address waits instead of failing at once', async () => {
    const ns = topology.containers[1]?.ns ?? '';
    const ping = await topology.exec(ns, 'ping', ['-c', '1', '-W', '1', '172.16.0.1'], {
      allowFailure: true,
    });
    expect(ping.code).toBe(1); // no reply (2 would be an error such as "Network is unreachable")
    expect(`${ping.stdout}${ping.stderr}`).not.toMatch(/unreachable/i);
    expect(ping.stdout).toContain('1 packets transmitted, 0 received');
  });

  test('Chromium runs inside the gw namespace and loads a page served there', async () => {
    const server = topology.spawnIn(topology.gw, process.execPath, [
      '-e',
      `require('node:http').createServer((q, s) => s.end('<h1 id="who">served in gw for ' + q.headers.host + '</h1>'))
        .listen(8080, '${topology.gwAddress}', () => console.log('ready'))`,
    ]);
    await server.waitForOutput('ready');
    const chromium = await launchChromiumIn(topology.gw, {
      hostResolverRules: `MAP *.org-demo.test ${topology.gwAddress}`,
    });
    try {
      const page = await (await chromium.browser.newContext()).newPage();
      const response = await navigate(page, 'http://uc-demo.org-demo.test:8080/');
      expect(response?.status()).toBe(200);
      expect(await page.textContent('#who')).toBe('served in gw for uc-demo.org-demo.test:8080');
    } finally {
      await chromium.close();
      await server.kill();
    }
  });

  test('the TLS terminator in gw streams requests and forwards WebSocket upgrades, Host kept', async () => {
    const dir = mkdtempSync('/var/tmp/dg-ws-');
    const socketPath = join(dir, 'upstream.sock');
    const server = createServer((req, res) => {
      res.end(`${req.method} ${req.headers.host} ${req.headers['x-forwarded-proto']}`);
    });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket, req) =>
      socket.on('message', (data) =>
        socket.send(`${req.headers.host} ${req.headers['x-forwarded-proto']} ${data}`),
      ),
    );
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await startTlsTerminatorIn(topology, topology.gw, {
        listen: `${topology.gwAddress}:8443`,
        upstream: `unix:${socketPath}`,
        names: ['org-demo.gw.test'],
      });
      const ns = topology.containers[0]?.ns ?? '';
      const plain = await topology.exec(ns, 'curl', ['-sk', 'https://org-demo.gw.test:8443/']);
      expect(plain.stdout).toBe('GET org-demo.gw.test:8443 https');
      const client = `const WebSocket = require('ws');
        const ws = new WebSocket('wss://org-demo.gw.test:8443/echo', { rejectUnauthorized: false });
        ws.on('open', () => ws.send('hello'));
        ws.on('message', (m) => { console.log(String(m)); ws.close(); });
        ws.on('error', (e) => { console.error(e.message); process.exit(1); });`;
      const echoed = await topology.exec(ns, process.execPath, ['-e', client]);
      expect(echoed.stdout.trim()).toBe('org-demo.gw.test:8443 https hello');
    } finally {
      wss.close();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('destroy kills what the topology started and removes every namespace, idempotently', async () => {
    const small = await createTopology({ containers: 1 });
    const sleeper = small.spawnContainer(small.containers[0]?.ns ?? '', 'sleep 600');
    await sleeper.initPid();
    expect(namespacesNow()).toContain(small.gw);
    await small.destroy();
    await small.destroy();
    expect(sleeper.child.exitCode !== null || sleeper.child.signalCode !== null).toBe(true);
    for (const ns of small.namespaces) {
      expect(namespacesNow()).not.toContain(ns);
      expect(existsSync(`/etc/netns/${ns}`)).toBe(false);
    }
  });
});

describe('legacy client library', () => {
  test('extract_settings reads every field with jq, ignores extra fields, leaves absent ones empty', async () => {
    requireCommand('jq', 'jq');
    const value = settings({
      user_id: 'u-1',
      frontend_fqdn: 'app.test:3000',
      ganymede_fqdn: 'api.test',
      gateway_fqdn: 'org-o1.gw.test:8443',
      token: 'eyJ.x.y',
      project_id: 'p-1',
      user_container_id: 'uc_abc',
      unknown: 'ignored',
    });
    const script = `. "${LIBRARY}"; extract_settings; printf '%s|' "$user_id" "$frontend_fqdn" "$ganymede_fqdn" "$gateway_fqdn" "$token" "$project_id" "$user_container_id" "$vpn_secret"`;
    const out = await runCommand('sh', ['-c', script], { env: { SETTINGS: value } });
    expect(out.stdout).toBe('u-1|app.test:3000|api.test|org-o1.gw.test:8443|eyJ.x.y|p-1|uc_abc||');
  });

  describe('against a stub gateway in gw', () => {
    const certificates = {
      'ca.crt': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
      'clients.crt': '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n',
      'clients.key': `-----BEGIN ${FAKE_KEY_LABEL}-----\nKEY\n-----END ${FAKE_KEY_LABEL}-----\n`,
      'ta.key': '-----BEGIN OpenVPN Static key V1-----\n00\n-----END OpenVPN Static key V1-----\n',
    };
    const config =
      'client\ndev tun\nproto udp\nremote GATEWAY_FQDN 1194\nca ca.crt\ncert clients.crt\nkey clients.key\n';
    const tokens = { uc1: 'token-of-uc1.with.a.signature', uc2: 'token-of-uc2.with.a.signature' };
    let topology: Topology;
    let stub: StubUpstream;
    let binDir: string;

    beforeAll(async () => {
      for (const [command, pkg] of [
        ['curl', 'curl'],
        ['jq', 'jq'],
        ['ping', 'iputils-ping'],
      ] as const)
        requireCommand(command, pkg);
      // uc2's first fetch gets an empty body, to exercise "Gateway Down ?".
      stub = await startStubUpstream((req, previous) => {
        if (req.url !== '/collab/vpn-config') return { body: '{}' };
        const firstOfUc2 =
          req.headers.authorization === tokens.uc2 &&
          !previous.some((p) => p.url === req.url && p.headers.authorization === tokens.uc2);
        return { body: firstOfUc2 ? '' : JSON.stringify({ certificates, config }) };
      });
      topology = await createTopology({ containers: 2, gatewayHostnames: ['org-o1.gw.test'] });
      // The VPN address, inside gw only, reached from the containers over the underlay (no tunnel needed).
      await topology.exec(topology.gw, 'ip', ['addr', 'add', '172.16.0.1/32', 'dev', 'br0']);
      for (const c of topology.containers)
        await topology.exec(c.ns, 'ip', [
          'route',
          'add',
          '172.16.0.1/32',
          'via',
          topology.gwAddress,
          'dev',
          'eth0',
        ]);
      await startTlsTerminatorIn(topology, topology.gw, {
        listen: `${topology.gwAddress}:443`,
        upstream: stub.upstreamArg,
        names: ['org-o1.gw.test'],
      });
      await startTlsTerminatorIn(topology, topology.gw, {
        listen: '172.16.0.1:80',
        upstream: stub.upstreamArg,
        plain: true,
      });
      // A stand-in `openvpn` that records its arguments and stays up (its process name is "openvpn").
      // Not under /tmp: the container's private tmpfs hides the host's /tmp.
      binDir = mkdtempSync('/var/tmp/dg-legacy-bin-');
      writeFileSync(
        join(binDir, 'openvpn'),
        '#!/bin/sh\nprintf "%s\\n" "$*" > /tmp/openvpn-args\nwhile :; do sleep 1; done\n',
        {
          mode: 0o755,
        },
      );
    }, 60_000);
    afterAll(async () => {
      await topology?.destroy();
      await stub?.close();
      if (binDir) rmSync(binDir, { recursive: true, force: true });
    });

    const start = (index: 0 | 1, fields: Record<string, string>) =>
      topology.spawnContainer(
        topology.containers[index]?.ns ?? '',
        `. "${LIBRARY}"; extract_settings; map_http_service terminal 7681 & vpn_loop`,
        { SETTINGS: settings(fields), PATH: `${binDir}:${process.env.PATH}`, LEGACY_RETRY_SLEEP: '1' },
      );

    test('one vpn_loop iteration writes the files, the config and the credentials; the events are the legacy bytes', async () => {
      const base = {
        user_id: 'u-1',
        frontend_fqdn: 'app.test',
        ganymede_fqdn: 'api.test',
        project_id: 'p-1',
      };
      const uc1 = start(0, {
        ...base,
        gateway_fqdn: 'org-o1.gw.test:443',
        token: tokens.uc1,
        user_container_id: 'uc_one',
      });
      const uc2 = start(1, {
        ...base,
        gateway_fqdn: 'org-o1.gw.test',
        token: tokens.uc2,
        user_container_id: 'uc_two',
        vpn_secret: '0123456789abcdef0123456789abcdef',
      });

      const fetch = await stub.waitFor(
        (r) => r.url === '/collab/vpn-config' && r.headers.authorization === tokens.uc1,
      );
      expect(fetch.method).toBe('GET');
      expect(fetch.headers['x-forwarded-proto']).toBe('https');
      // The watchdog comes after openvpn was started: by then every file is written.
      const beat = await stub.waitFor(
        (r) => r.headers.authorization === tokens.uc1 && r.body.includes('watchdog'),
        20_000,
      );
      const read = async (file: string) => (await uc1.exec('cat', [`/tmp/${file}`])).stdout;
      // `jq -r` ends its output with a newline of its own.
      for (const [name, pem] of Object.entries(certificates)) expect(await read(name)).toBe(`${pem}\n`);
      expect(await read('client.ovpn')).toBe(
        `${config.replace('GATEWAY_FQDN', 'org-o1.gw.test')}\nauth-user-pass /tmp/vpn-credentials\nauth-nocache\n`,
      );
      expect(await read('vpn-credentials')).toBe(`uc_one\n${tokens.uc1}\n`);
      expect(await read('openvpn-args')).toBe('--config client.ovpn\n');

      const register = await stub.waitFor(
        (r) => r.headers.authorization === tokens.uc1 && r.body.includes('map-http-service'),
      );
      expect(register.method).toBe('POST');
      expect(register.body).toBe(
        '{"event":{"type":"user-container:map-http-service","port":7681,"name":"terminal"},"project_id":"p-1"}',
      );
      expect(register.headers['content-type']).toBe('application/json');
      expect(register.headers.origin).toBeUndefined();
      expect(register.headers['x-forwarded-for']).toBe(topology.containers[0]?.address);

      const parsed = JSON.parse(beat.body) as {
        event: { type: string; system: Record<string, unknown> };
        project_id: string;
      };
      expect(parsed.event.type).toBe('user-container:watchdog');
      expect(parsed.project_id).toBe('p-1');
      expect(Object.keys(parsed.event.system)).toEqual(['cpu', 'memory', 'disk', 'network', 'graphic']);
      const stats = normaliseSystem(parsed.event.system);
      expect(stats.cpu.count).toBeGreaterThan(0);
      expect(stats.memory.totalMb).toBeGreaterThan(0);
      expect(stats.network.pingMs).not.toBeNull();

      // uc2: an empty body first ("Gateway Down ?"), then the config; vpn_secret wins over the token.
      await uc2.waitForOutput('Gateway Down ?');
      await stub.waitFor(
        (r) => r.headers.authorization === tokens.uc2 && r.body.includes('watchdog'),
        20_000,
      );
      // At least 2: the legacy `openvpn & ... pgrep openvpn` can race (pgrep before the exec) and refetch.
      const uc2Fetches = stub.requests.filter(
        (r) => r.url === '/collab/vpn-config' && r.headers.authorization === tokens.uc2,
      );
      expect(uc2Fetches.length).toBeGreaterThanOrEqual(2);
      const uc2Config = (await uc2.exec('cat', ['/tmp/client.ovpn'])).stdout;
      expect(uc2Config).toContain('remote org-o1.gw.test 1194\n');
      expect((await uc2.exec('cat', ['/tmp/vpn-credentials'])).stdout).toBe(
        'uc_two\n0123456789abcdef0123456789abcdef\n',
      );
    }, 45_000);
  });
});
