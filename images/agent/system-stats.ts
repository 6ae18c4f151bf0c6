/**
 * Container stats read directly from /proc, statfs and /sys: typed values, never parsed from the
 * human-oriented output of `uptime`, `lscpu`, `free`, `df` or `lspci` as the legacy shell client did.
 * Every reader takes the root directory so tests can point it at a fixture tree.
 */
import { readdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { SystemStats } from '../../shared/system-stats.ts';

const MAX_TEXT = 200;
const MAX_GPUS = 16;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** 1, 5 and 15 minute load averages from `/proc/loadavg`. */
export async function readLoad(root: string): Promise<[number, number, number] | null> {
  const text = await readText(join(root, 'proc/loadavg'));
  const parts = text?.trim().split(/\s+/).slice(0, 3).map(Number);
  return parts?.length === 3 && parts.every(Number.isFinite) ? (parts as [number, number, number]) : null;
}

/** CPU count, threads per core and model from `/proc/cpuinfo` (one `key : value` block per logical CPU). */
export async function readCpu(root: string): Promise<SystemStats['cpu']> {
  const text = (await readText(join(root, 'proc/cpuinfo'))) ?? '';
  let count = 0;
  let model: string | null = null;
  let siblings: number | null = null;
  let cores: number | null = null;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') count += 1;
    else if (key === 'model name' && model === null) model = value.slice(0, MAX_TEXT);
    else if (key === 'siblings' && siblings === null) siblings = Number(value);
    else if (key === 'cpu cores' && cores === null) cores = Number(value);
  }
  const threadsPerCore =
    siblings !== null && cores !== null && cores > 0 && Number.isFinite(siblings / cores)
      ? siblings / cores
      : null;
  return { load: await readLoad(root), count: count > 0 ? count : null, threadsPerCore, model };
}

/** `MemAvailable` and `MemTotal` from `/proc/meminfo`, in MiB as `free -m` reports them. */
export async function readMemory(root: string): Promise<SystemStats['memory']> {
  const text = (await readText(join(root, 'proc/meminfo'))) ?? '';
  const kib = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Math.floor(Number(m[1]) / 1024) : null;
  };
  return { availableMb: kib('MemAvailable'), totalMb: kib('MemTotal') };
}

/** Size and use of the filesystem holding `path`, computed as `df` does (used / (used + available)). */
export async function readDisk(path: string): Promise<SystemStats['disk']> {
  try {
    const fs = await statfs(path);
    const used = fs.blocks - fs.bfree;
    const usable = used + fs.bavail;
    return {
      sizeBytes: fs.blocks * fs.bsize,
      usedPercent: usable > 0 ? Math.round((used / usable) * 10_000) / 100 : null,
    };
  } catch {
    return { sizeBytes: null, usedPercent: null };
  }
}

const VENDORS: Record<string, string> = {
  '0x10de': 'NVIDIA',
  '0x1002': 'AMD',
  '0x8086': 'Intel',
  '0x1af4': 'Virtio',
  '0x1234': 'QEMU',
  '0x15ad': 'VMware',
  '0x1b36': 'Red Hat',
  '0x1013': 'Cirrus Logic',
  '0x1a03': 'ASPEED',
  '0x102b': 'Matrox',
};
const SUBCLASSES: Record<string, string> = { '00': 'VGA', '01': 'XGA', '02': '3D', '80': 'display' };

/** Display controllers (PCI class 0x03xxxx) under `/sys/bus/pci/devices`, one line each. */
export async function readGpus(root: string): Promise<string[]> {
  const dir = join(root, 'sys/bus/pci/devices');
  let slots: string[];
  try {
    slots = (await readdir(dir)).sort();
  } catch {
    return [];
  }
  const gpus: string[] = [];
  for (const slot of slots) {
    const pciClass = (await readText(join(dir, slot, 'class')))?.trim().toLowerCase();
    if (!pciClass || !/^0x03[0-9a-f]{4}$/.test(pciClass)) continue;
    const vendor = (await readText(join(dir, slot, 'vendor')))?.trim().toLowerCase() ?? '';
    const device = (await readText(join(dir, slot, 'device')))?.trim().toLowerCase() ?? '';
    const kind = SUBCLASSES[pciClass.slice(4, 6)] ?? 'display';
    const ids = `[${vendor.replace(/^0x/, '')}:${device.replace(/^0x/, '')}]`;
    gpus.push(`${slot} ${kind} controller: ${VENDORS[vendor] ?? 'vendor'} ${ids}`.slice(0, MAX_TEXT));
    if (gpus.length === MAX_GPUS) break;
  }
  return gpus;
}

export interface StatsSources {
  /** Where `proc/` and `sys/` live: `/` in a container, a fixture tree in tests. */
  root: string;
  /** The filesystem to report (the container's `/`). */
  diskPath: string;
  /** Round trip to the gateway in ms, measured by the caller; null when it did not answer. */
  pingMs: number | null;
}

/** All stats for one watchdog beat. */
export async function readSystemStats({ root, diskPath, pingMs }: StatsSources): Promise<SystemStats> {
  const [cpu, memory, disk, gpus] = await Promise.all([
    readCpu(root),
    readMemory(root),
    readDisk(diskPath),
    readGpus(root),
  ]);
  return { cpu, memory, disk, network: { pingMs }, gpus };
}
