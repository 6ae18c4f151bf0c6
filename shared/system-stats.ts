/** Container system stats: the typed shape, and the normaliser for the legacy shell client's `system`. */
import { z } from 'zod';

const MAX_TEXT = 200;
const MAX_GPUS = 16;
const num = z.number().finite().nullable();

export const SystemStats = z.object({
  cpu: z.object({
    load: z.tuple([z.number(), z.number(), z.number()]).nullable(),
    count: num,
    threadsPerCore: num,
    model: z.string().max(MAX_TEXT).nullable(),
  }),
  memory: z.object({ availableMb: num, totalMb: num }),
  disk: z.object({ sizeBytes: num, usedPercent: num }),
  network: z.object({ pingMs: num }),
  gpus: z.array(z.string().max(MAX_TEXT)).max(MAX_GPUS),
});
export type SystemStats = z.infer<typeof SystemStats>;

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
  P: 2 ** 50,
};

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : null;
}
function toText(v: unknown): string | null {
  return typeof v === 'string' ? v.slice(0, MAX_TEXT) : typeof v === 'number' ? String(v) : null;
}
function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
/** `df -h` sizes such as "251G" or "1.5T". */
function toBytes(v: unknown): number | null {
  const m = typeof v === 'string' ? /^\s*([\d.]+)\s*([BKMGTP]?)i?B?\s*$/i.exec(v) : null;
  if (!m) return toNumber(v);
  const n = Number.parseFloat(m[1] ?? '');
  const unit = UNITS[(m[2] ?? '').toUpperCase()];
  return Number.isFinite(n) && unit ? Math.round(n * unit) : null;
}
/** `uptime` load averages, "0.08, 0.18, 0.11". */
function toLoad(v: unknown): [number, number, number] | null {
  if (typeof v !== 'string') return null;
  const parts = v
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
  return parts.length === 3 && parts.every(Number.isFinite) ? (parts as [number, number, number]) : null;
}
/** `ping` summary "min/avg/max/mdev ms": the average. */
function toPingMs(v: unknown): number | null {
  if (typeof v !== 'string') return toNumber(v);
  const avg = v.split('/')[1];
  return avg === undefined ? null : toNumber(avg);
}

/** Normalises the legacy client's loosely typed `system` object into the typed, size-bounded shape. */
export function normaliseSystem(system: Record<string, unknown>): SystemStats {
  const cpu = obj(system.cpu);
  const memory = obj(system.memory);
  const disk = obj(system.disk);
  const network = obj(system.network);
  const cards = obj(system.graphic).cards;
  return {
    cpu: {
      load: toLoad(cpu.usage),
      count: toNumber(cpu.count),
      threadsPerCore: toNumber(cpu.threads_per_core),
      model: toText(cpu.model),
    },
    memory: { availableMb: toNumber(memory.free), totalMb: toNumber(memory.total) },
    disk: { sizeBytes: toBytes(disk.size), usedPercent: toNumber(disk.usage) },
    network: { pingMs: toPingMs(network.ping_time) },
    gpus:
      typeof cards === 'string'
        ? cards
            .split('\n')
            .map((c) => c.trim())
            .filter(Boolean)
            .slice(0, MAX_GPUS)
            .map((c) => c.slice(0, MAX_TEXT))
        : [],
  };
}
