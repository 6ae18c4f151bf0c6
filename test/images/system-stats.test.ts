import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readCpu,
  readDisk,
  readGpus,
  readLoad,
  readMemory,
  readSystemStats,
} from '../../images/agent/system-stats.ts';
import { SystemStats } from '../../shared/system-stats.ts';

const CPUINFO = [0, 1, 2, 3]
  .map(
    (n) => `processor\t: ${n}
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz
siblings\t: 4
cpu cores\t: 2
flags\t\t: fpu vme de pse

`,
  )
  .join('');
const MEMINFO = `MemTotal:       16308736 kB
MemFree:         1000000 kB
MemAvailable:   14269440 kB
Buffers:          500000 kB
`;

let root: string;
function write(path: string, text: string) {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}
function pciDevice(slot: string, pciClass: string, vendor: string, device: string) {
  write(`sys/bus/pci/devices/${slot}/class`, `${pciClass}\n`);
  write(`sys/bus/pci/devices/${slot}/vendor`, `${vendor}\n`);
  write(`sys/bus/pci/devices/${slot}/device`, `${device}\n`);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dg-stats-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('stats readers on a fixture tree', () => {
  it('reads the three load averages from /proc/loadavg', async () => {
    write('proc/loadavg', '0.08 0.18 0.11 1/234 5678\n');
    expect(await readLoad(root)).toEqual([0.08, 0.18, 0.11]);
  });

  it('gives null for a missing or malformed /proc/loadavg', async () => {
    expect(await readLoad(root)).toBeNull();
    write('proc/loadavg', 'garbage\n');
    expect(await readLoad(root)).toBeNull();
  });

  it('counts processors, threads per core and the model from /proc/cpuinfo', async () => {
    write('proc/cpuinfo', CPUINFO);
    write('proc/loadavg', '1.5 1.0 0.5 2/100 42\n');
    expect(await readCpu(root)).toEqual({
      load: [1.5, 1, 0.5],
      count: 4,
      threadsPerCore: 2,
      model: 'Intel(R) Xeon(R) CPU @ 2.20GHz',
    });
  });

  it('gives nulls where /proc/cpuinfo lacks a field (as on some ARM kernels)', async () => {
    write('proc/cpuinfo', 'processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n');
    expect(await readCpu(root)).toEqual({ load: null, count: 2, threadsPerCore: null, model: null });
  });

  it('reads available and total memory in MiB from /proc/meminfo', async () => {
    write('proc/meminfo', MEMINFO);
    expect(await readMemory(root)).toEqual({ availableMb: 13935, totalMb: 15926 });
  });

  it('gives nulls without /proc/meminfo', async () => {
    expect(await readMemory(root)).toEqual({ availableMb: null, totalMb: null });
  });

  it('reads size and use of a filesystem with statfs, as df computes them', async () => {
    const fs = statfsSync(root);
    const used = fs.blocks - fs.bfree;
    const disk = await readDisk(root);
    expect(disk.sizeBytes).toBe(fs.blocks * fs.bsize);
    expect(disk.usedPercent).toBeCloseTo((used / (used + fs.bavail)) * 100, 0);
    expect(await readDisk(join(root, 'does-not-exist'))).toEqual({ sizeBytes: null, usedPercent: null });
  });

  it('lists display controllers (class 0x03xxxx) and nothing else', async () => {
    pciDevice('0000:00:00.0', '0x060000', '0x8086', '0x1237'); // host bridge
    pciDevice('0000:00:02.0', '0x030000', '0x1234', '0x1111'); // VGA
    pciDevice('0000:01:00.0', '0x030200', '0x10de', '0x20b0'); // 3D controller
    pciDevice('0000:02:00.0', '0x020000', '0x1af4', '0x1000'); // network
    expect(await readGpus(root)).toEqual([
      '0000:00:02.0 VGA controller: QEMU [1234:1111]',
      '0000:01:00.0 3D controller: NVIDIA [10de:20b0]',
    ]);
  });

  it('gives no GPUs without /sys/bus/pci', async () => {
    expect(await readGpus(root)).toEqual([]);
  });

  it('assembles stats that the shared schema accepts', async () => {
    write('proc/loadavg', '0.08 0.18 0.11 1/234 5678\n');
    write('proc/cpuinfo', CPUINFO);
    write('proc/meminfo', MEMINFO);
    pciDevice('0000:00:02.0', '0x030000', '0x1234', '0x1111');
    const stats = await readSystemStats({ root, diskPath: root, pingMs: 0.45 });
    expect(SystemStats.parse(stats)).toEqual(stats);
    expect(stats.network).toEqual({ pingMs: 0.45 });
    expect(stats.cpu.count).toBe(4);
    expect(stats.gpus).toHaveLength(1);
  });

  it('bounds a hostile tree: long model names are cut and at most 16 GPUs are listed', async () => {
    write('proc/cpuinfo', `processor\t: 0\nmodel name\t: ${'x'.repeat(5000)}\n`);
    for (let i = 0; i < 20; i++)
      pciDevice(`0000:${String(i).padStart(2, '0')}:00.0`, '0x030000', '0x10de', '0x1');
    const stats = await readSystemStats({ root, diskPath: root, pingMs: null });
    expect(SystemStats.safeParse(stats).success).toBe(true);
    expect(stats.gpus).toHaveLength(16);
  });
});
