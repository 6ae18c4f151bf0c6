/**
 * The pool's host routes in the kernel (issue 16, design point 4): `<container>/32 via <holder's
 * backbone address>`, each tagged with a route protocol number of its own (`proto 212`) so that this
 * gateway reads back, changes and removes only its own routes, never an operator's or a routing daemon's.
 *
 * `apply` sends the difference from what it last installed as one `ip -batch -` (split past
 * LINES_PER_BATCH); new routes are `add`ed (a foreign route to the same address is never overwritten),
 * moved ones `replace`d, gone ones `del`eted. A batch that fails falls back to `reconcile`, which reads
 * the kernel (`ip -j -4 route show proto 212`), removes strays, installs what is missing with
 * `ip -force -batch -` and reads back the result. Every failure is one log line with GW_ERR_KERNEL_ROUTE.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { firstLines, runCommand } from './system-command.ts';

/** Route protocol number marking the pool's routes (unassigned in /etc/iproute2/rt_protos). */
export const POOL_ROUTE_PROTOCOL = 212;
/** Lines per `ip -batch` process: a pool-wide failover of thousands of containers is a few processes. */
const LINES_PER_BATCH = 2_000;
/** Addresses named in one log line at most. */
const LOGGED_ADDRESSES = 5;

export interface KernelRoutesOptions {
  log: Logger;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', 'gw']` in tests. */
  commandPrefix?: readonly string[];
  protocol?: number;
  /** Deadline of one `ip` command. */
  timeoutMs?: number;
}

/** What one apply or reconcile did. */
export interface RoutesOutcome {
  added: number;
  changed: number;
  removed: number;
  /** True when the kernel was read (a reconcile, or an apply whose batch failed). */
  reconciled: boolean;
  /** Desired routes the kernel refused (logged): they stay out until the desired map or a reconcile changes. */
  refused: number;
}

const RouteRows = z.array(z.object({ dst: z.string(), gateway: z.string().optional() }).loose());

/** `a.b.c.d`, `a.b.c.d/nn` or `default`: safe to put back on an `ip` command line. */
function validDestination(dst: string): boolean {
  if (dst === 'default') return true;
  const [address, prefix, extra] = dst.split('/');
  if (extra !== undefined || address === undefined || !isIPv4(address)) return false;
  return prefix === undefined || /^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefix);
}

const kernelRouteError = (message: string) => new GatewayError(ErrorCode.KernelRoute, message, 500);

export class KernelRoutes {
  /** What this gateway believes the kernel holds under its protocol: address -> via. */
  private installed = new Map<string, string>();
  /** Desired routes the kernel refused at the last reconcile (address -> via). */
  private refused = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly prefix: readonly string[];
  private readonly proto: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: KernelRoutesOptions) {
    this.prefix = options.commandPrefix ?? [];
    const protocol = options.protocol ?? POOL_ROUTE_PROTOCOL;
    if (!Number.isInteger(protocol) || protocol < 1 || protocol > 255)
      throw new GatewayError(ErrorCode.BadConfig, `route protocol must be 1..255, got ${protocol}`, 500);
    this.proto = String(protocol);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The routes installed as of the last apply or reconcile (address -> via). */
  get routes(): ReadonlyMap<string, string> {
    return this.installed;
  }

  /** Brings the kernel to `desired` (address -> via) by the difference from the last known state. */
  apply(desired: ReadonlyMap<string, string>): Promise<RoutesOutcome> {
    return this.serial(() => this.applyNow(this.checked(desired)));
  }

  /** Reads the kernel and brings it to `desired`: strays removed, missing routes added. */
  reconcile(desired: ReadonlyMap<string, string>): Promise<RoutesOutcome> {
    return this.serial(() => this.reconcileNow(this.checked(desired)));
  }

  /** Removes every route of this gateway's protocol (a stop). */
  clear(): Promise<void> {
    return this.serial(async () => {
      const out = await this.ip(['-4', 'route', 'flush', 'proto', this.proto]);
      if (out.code !== 0) this.failed('could not flush the pool routes', out.stderr);
      this.installed = new Map();
      this.refused = new Map();
    });
  }

  /** The kernel's routes of this protocol: address (or prefix) -> via ('' for a route without one). */
  async read(): Promise<Map<string, string>> {
    const out = await this.ip(['-j', '-4', 'route', 'show', 'proto', this.proto]);
    if (out.code !== 0) throw kernelRouteError(`ip route show failed: ${firstLines(out.stderr)}`);
    let rows: z.infer<typeof RouteRows>;
    try {
      rows = RouteRows.parse(JSON.parse(out.stdout.trim() || '[]'));
    } catch {
      throw kernelRouteError('ip -j route show printed something that is not its JSON');
    }
    const routes = new Map<string, string>();
    for (const row of rows) {
      if (!validDestination(row.dst)) {
        this.failed(`unexpected destination in the pool routes: ${JSON.stringify(row.dst).slice(0, 60)}`);
        continue;
      }
      const host = row.dst.endsWith('/32') ? row.dst.slice(0, -3) : row.dst;
      routes.set(host, row.gateway !== undefined && isIPv4(row.gateway) ? row.gateway : '');
    }
    return routes;
  }

  private async applyNow(desired: Map<string, string>): Promise<RoutesOutcome> {
    const lines: string[] = [];
    const outcome: RoutesOutcome = { added: 0, changed: 0, removed: 0, reconciled: false, refused: 0 };
    for (const [address, via] of desired) {
      const now = this.installed.get(address);
      if (now === via || this.refused.get(address) === via) continue;
      lines.push(this.line(now === undefined ? 'add' : 'replace', address, via));
      if (now === undefined) outcome.added++;
      else outcome.changed++;
    }
    for (const address of this.installed.keys()) {
      if (desired.has(address)) continue;
      lines.push(this.line('del', address));
      outcome.removed++;
    }
    for (const address of this.refused.keys()) if (!desired.has(address)) this.refused.delete(address);
    for (let i = 0; i < lines.length; i += LINES_PER_BATCH) {
      const batch = lines.slice(i, i + LINES_PER_BATCH);
      const out = await this.ip(['-batch', '-'], `${batch.join('\n')}\n`);
      if (out.code !== 0) {
        this.failed(`a batch of ${batch.length} route changes failed; reconciling`, out.stderr);
        return this.reconcileNow(desired);
      }
    }
    for (const [address, via] of desired) {
      if (this.refused.get(address) === via) continue;
      this.refused.delete(address);
      this.installed.set(address, via);
    }
    for (const address of [...this.installed.keys()])
      if (!desired.has(address)) this.installed.delete(address);
    outcome.refused = this.refused.size;
    return outcome;
  }

  private async reconcileNow(desired: Map<string, string>): Promise<RoutesOutcome> {
    const outcome: RoutesOutcome = { added: 0, changed: 0, removed: 0, reconciled: true, refused: 0 };
    let kernel: Map<string, string>;
    try {
      kernel = await this.read();
    } catch (error) {
      this.failed(`could not read the pool routes: ${(error as Error).message}`);
      throw error;
    }
    const lines: string[] = [];
    for (const [dst, via] of kernel) {
      const want = desired.get(dst);
      if (want === undefined) {
        lines.push(
          `route del ${dst.includes('/') || dst === 'default' ? dst : `${dst}/32`} proto ${this.proto}`,
        );
        outcome.removed++;
      } else if (want !== via) {
        lines.push(this.line('replace', dst, want));
        outcome.changed++;
      }
    }
    for (const [address, via] of desired) {
      if (kernel.has(address)) continue;
      lines.push(this.line('add', address, via));
      outcome.added++;
    }
    let errors = '';
    for (let i = 0; i < lines.length; i += LINES_PER_BATCH) {
      const out = await this.ip(
        ['-force', '-batch', '-'],
        `${lines.slice(i, i + LINES_PER_BATCH).join('\n')}\n`,
      );
      if (out.code !== 0) errors += out.stderr;
    }
    const after = errors === '' ? null : await this.read().catch(() => null);
    this.installed = new Map();
    this.refused = new Map();
    for (const [address, via] of desired) {
      if (after === null || after.get(address) === via) this.installed.set(address, via);
      else this.refused.set(address, via);
    }
    outcome.refused = this.refused.size;
    if (errors !== '') {
      const named = [...this.refused.keys()].slice(0, LOGGED_ADDRESSES).join(',');
      this.failed(`reconcile: the kernel refused ${this.refused.size} pool routes (${named})`, errors);
    }
    return outcome;
  }

  /** Desired entries whose address and via are IPv4 addresses; the others are logged and left out. */
  private checked(desired: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    let bad = 0;
    for (const [address, via] of desired) {
      if (isIPv4(address) && isIPv4(via)) out.set(address, via);
      else bad++;
    }
    if (bad > 0) this.failed(`${bad} desired routes with an address or via that is not IPv4 were left out`);
    return out;
  }

  private line(verb: 'add' | 'replace' | 'del', address: string, via?: string): string {
    return via === undefined
      ? `route ${verb} ${address}/32 proto ${this.proto}`
      : `route ${verb} ${address}/32 via ${via} proto ${this.proto}`;
  }

  private ip(args: string[], input?: string) {
    return runCommand(this.prefix, 'ip', args, { input, timeoutMs: this.timeoutMs });
  }

  private failed(message: string, stderr?: string): void {
    this.options.log.warn('pool routes failed', {
      code: ErrorCode.KernelRoute,
      error: stderr === undefined ? message : `${message}: ${firstLines(stderr)}`,
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
