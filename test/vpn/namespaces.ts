/**
 * Two network namespaces joined by a veth pair, for this folder's handshake test only (test/e2e has its
 * own). Names are unique per run; remove() deletes them, and with them the veth pair and any tun device.
 */
import { execFileSync } from 'node:child_process';
import { requireCommand } from '../support/prerequisites.ts';

export interface NamespacePair {
  a: string;
  b: string;
  addressA: string;
  addressB: string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe', encoding: 'utf8' });

export function createNamespacePair(): NamespacePair {
  requireCommand('ip', 'iproute2');
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (ip netns add)');
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 9);
  const a = `dgvpn-a-${tag}`;
  const b = `dgvpn-b-${tag}`;
  const octet = 1 + Math.floor(Math.random() * 250);
  const pair: NamespacePair = {
    a,
    b,
    addressA: `10.250.${octet}.1`,
    addressB: `10.250.${octet}.2`,
    remove() {
      const steps = [
        ['netns', 'del', a],
        ['netns', 'del', b],
        // Only left in the root namespace when set-up failed half-way.
        ['link', 'del', `va${tag}`],
      ];
      for (const step of steps) {
        try {
          ip(...step);
        } catch {
          // already gone
        }
      }
    },
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', `va${tag}`, 'type', 'veth', 'peer', 'name', `vb${tag}`);
    ip('link', 'set', `va${tag}`, 'netns', a);
    ip('link', 'set', `vb${tag}`, 'netns', b);
    ip('-n', a, 'addr', 'add', `${pair.addressA}/24`, 'dev', `va${tag}`);
    ip('-n', b, 'addr', 'add', `${pair.addressB}/24`, 'dev', `vb${tag}`);
    for (const [ns, dev] of [
      [a, `va${tag}`],
      [b, `vb${tag}`],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (error) {
    pair.remove();
    throw error;
  }
  return pair;
}

/** The IPv4 address/prefix on `device` inside `ns`, or null. */
export function addressIn(ns: string, device: string): string | null {
  try {
    const out = ip('-n', ns, '-4', '-o', 'addr', 'show', 'dev', device);
    return /\binet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}
