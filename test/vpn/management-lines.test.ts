import { describe, expect, it } from 'vitest';
import { ClientEventAssembler, parseManagementLine } from '../../gateway/vpn/management-lines.ts';
import { parseStatus } from '../../gateway/vpn/management-status.ts';

describe('management line parser', () => {
  it('parses the banner, answers and END', () => {
    expect(parseManagementLine('>INFO:OpenVPN Management Interface Version 5 -- type help')).toEqual({
      kind: 'info',
      text: 'OpenVPN Management Interface Version 5 -- type help',
    });
    expect(parseManagementLine('SUCCESS: client-auth command succeeded')).toEqual({
      kind: 'success',
      text: 'client-auth command succeeded',
    });
    expect(parseManagementLine('ERROR: client-kill command failed')).toEqual({
      kind: 'error',
      text: 'client-kill command failed',
    });
    expect(parseManagementLine('END')).toEqual({ kind: 'end' });
    expect(parseManagementLine('TITLE\tOpenVPN 2.6')).toEqual({ kind: 'text', text: 'TITLE\tOpenVPN 2.6' });
  });

  it('parses client events, addresses and byte counts', () => {
    expect(parseManagementLine('>CLIENT:CONNECT,7,1')).toEqual({
      kind: 'client',
      event: 'CONNECT',
      cid: 7,
      kid: 1,
    });
    expect(parseManagementLine('>CLIENT:REAUTH,7,2')).toEqual({
      kind: 'client',
      event: 'REAUTH',
      cid: 7,
      kid: 2,
    });
    expect(parseManagementLine('>CLIENT:ESTABLISHED,7')).toEqual({
      kind: 'client',
      event: 'ESTABLISHED',
      cid: 7,
      kid: null,
    });
    expect(parseManagementLine('>CLIENT:DISCONNECT,7')).toMatchObject({ event: 'DISCONNECT', cid: 7 });
    expect(parseManagementLine('>CLIENT:ADDRESS,7,172.16.7.20,1')).toEqual({
      kind: 'client-address',
      cid: 7,
      address: '172.16.7.20',
      primary: true,
    });
    expect(parseManagementLine('>BYTECOUNT_CLI:7,1024,2048')).toEqual({
      kind: 'bytecount',
      cid: 7,
      bytesReceived: 1024,
      bytesSent: 2048,
    });
    expect(parseManagementLine('>CLIENT:ENV,password=a=b,c')).toEqual({
      kind: 'client-env',
      name: 'password',
      value: 'a=b,c',
    });
    expect(parseManagementLine('>CLIENT:ENV,END')).toEqual({ kind: 'client-env-end' });
    expect(parseManagementLine('>STATE:1,CONNECTED')).toEqual({
      kind: 'notification',
      type: 'STATE',
      text: '1,CONNECTED',
    });
  });

  it('assembles a client event with its ENV block', () => {
    const assembler = new ClientEventAssembler();
    const lines = [
      '>CLIENT:CONNECT,3,0',
      '>CLIENT:ENV,common_name=c1',
      '>CLIENT:ENV,tls_serial_hex_0=91:bf:01',
      '>CLIENT:ENV,__proto__=x',
      '>CLIENT:ENV,END',
    ];
    const results = lines.map((l) => assembler.push(parseManagementLine(l)));
    expect(results.slice(0, 4)).toEqual([null, null, null, null]);
    const event = results[4];
    expect(event).toMatchObject({ event: 'CONNECT', cid: 3, kid: 0 });
    expect(event?.env.common_name).toBe('c1');
    expect(event?.env.tls_serial_hex_0).toBe('91:bf:01');
    expect(Object.getPrototypeOf(event?.env)).toBeNull();
    expect(assembler.push(parseManagementLine('>CLIENT:ENV,END'))).toBeNull();
  });

  it('parses status 3 client rows by their header', () => {
    const clients = parseStatus([
      'TITLE\tOpenVPN 2.6.14',
      'HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tVirtual Address\tVirtual IPv6 Address\tBytes Received\tBytes Sent\tConnected Since\tConnected Since (time_t)\tUsername\tClient ID\tPeer ID\tData Channel Cipher',
      'CLIENT_LIST\tc1\t10.250.0.2:41000\t172.16.0.2\t\t3000\t4000\t2026-01-01 00:00:00\t1767225600\tUNDEF\t5\t0\tAES-256-GCM',
      'GLOBAL_STATS\tMax bcast/mcast queue length\t0',
    ]);
    expect(clients).toEqual([
      {
        cid: 5,
        commonName: 'c1',
        realAddress: '10.250.0.2:41000',
        vpnAddress: '172.16.0.2',
        bytesReceived: 3000,
        bytesSent: 4000,
        since: 1767225600000,
      },
    ]);
  });
});
