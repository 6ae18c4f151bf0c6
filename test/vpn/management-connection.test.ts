import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectRequest } from '../../gateway/vpn/management.ts';
import { OpenVpnManagement } from '../../gateway/vpn/management.ts';

/** A stand-in for OpenVPN's management socket: banner, scripted answers, and what the gateway sent. */
async function fakeOpenVpn(answer: (command: string, peer: Socket) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'dg-mgmt-'));
  const path = join(dir, 'm.sock');
  const received: string[] = [];
  let peer: Socket | undefined;
  const server: Server = createServer((socket) => {
    peer = socket;
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        received.push(line);
        answer(line, socket);
      }
    });
    socket.write('>INFO:OpenVPN Management Interface Version 5 -- type help\r\n');
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    received,
    send: (text: string) => peer?.write(text),
    close: () =>
      new Promise<void>((r) => {
        peer?.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('management client', () => {
  it('answers a CONNECT with client-auth and the pushed address, a denial with client-deny', async () => {
    const fake = await fakeOpenVpn((line, peer) => {
      if (/^(bytecount|client-deny|client-kill)/.test(line) || line === 'END') peer.write('SUCCESS: ok\r\n');
    });
    const requests: ConnectRequest[] = [];
    const management = await OpenVpnManagement.connect(fake.path, {
      netmask: '255.255.0.0',
      authorize: async (request) => {
        requests.push(request);
        return request.commonName === 'c1'
          ? { allow: true, address: '172.16.0.9' }
          : { allow: false, reason: 'unknown "container"' };
      },
    });
    cleanup.push(() => management.close(), fake.close);
    fake.send(
      '>CLIENT:CONNECT,4,1\r\n>CLIENT:ENV,common_name=c1\r\n>CLIENT:ENV,tls_serial_hex_0=4a:01\r\n' +
        '>CLIENT:ENV,username=c1\r\n>CLIENT:ENV,password=secret\r\n>CLIENT:ENV,untrusted_ip=10.0.0.2\r\n' +
        '>CLIENT:ENV,untrusted_port=5000\r\n>CLIENT:ENV,END\r\n',
    );
    fake.send('>CLIENT:CONNECT,5,0\r\n>CLIENT:ENV,common_name=intruder\r\n>CLIENT:ENV,END\r\n');
    for (let i = 0; i < 200 && fake.received.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(requests[0]).toEqual({
      cid: 4,
      kid: 1,
      reauth: false,
      commonName: 'c1',
      serialHex: '4a:01',
      username: 'c1',
      password: 'secret',
      realAddress: '10.0.0.2:5000',
    });
    expect(fake.received).toEqual([
      'bytecount 10',
      'client-auth 4 1',
      'ifconfig-push 172.16.0.9 255.255.0.0',
      'END',
      'client-deny 5 0 "unknown \\"container\\"" "unknown \\"container\\""',
    ]);
  });

  it('tracks established clients and reads status; an ERROR answer rejects only its command', async () => {
    const fake = await fakeOpenVpn((line, peer) => {
      if (line.startsWith('bytecount')) peer.write('SUCCESS: bytecount\r\n');
      if (line === 'client-kill 99 HALT') peer.write('ERROR: client-kill command failed\r\n');
      if (line === 'status 3') {
        peer.write('TITLE\tOpenVPN\r\n>BYTECOUNT_CLI:7,10,20\r\n');
        peer.write('HEADER\tCLIENT_LIST\tCommon Name\tClient ID\r\nCLIENT_LIST\tc1\t7\r\nEND\r\n');
      }
    });
    const management = await OpenVpnManagement.connect(fake.path, {
      netmask: '255.255.0.0',
      authorize: async () => ({ allow: false, reason: 'no' }),
    });
    cleanup.push(() => management.close(), fake.close);
    fake.send(
      '>CLIENT:ESTABLISHED,7\r\n>CLIENT:ENV,common_name=c1\r\n>CLIENT:ENV,trusted_ip=10.0.0.2\r\n' +
        '>CLIENT:ENV,trusted_port=5000\r\n>CLIENT:ENV,time_unix=1767225600\r\n>CLIENT:ENV,END\r\n' +
        '>CLIENT:ADDRESS,7,172.16.0.9,1\r\n',
    );
    await expect(management.clientKill(99)).rejects.toThrow(/client-kill command failed/);
    const status = await management.status();
    expect(status.map((c) => [c.commonName, c.cid])).toEqual([['c1', 7]]);
    expect(management.clients()).toEqual([
      {
        cid: 7,
        commonName: 'c1',
        realAddress: '10.0.0.2:5000',
        vpnAddress: '172.16.0.9',
        bytesReceived: 10,
        bytesSent: 20,
        since: 1767225600000,
      },
    ]);
    await expect(
      management.clientAuth(7, 0, ['ifconfig-push 1.2.3.4 255.0.0.0\nup /bin/sh']),
    ).rejects.toThrow(/control characters/);
  });
});
