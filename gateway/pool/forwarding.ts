/**
 * The holder's side of the pool's kernel routes (issue 16, design point 4). A peer routes a container's
 * VPN address to this gateway's backbone address; this gateway forwards it into its tunnel and
 * masquerades it to its own `.1`, because containers have no route to the backbone and answer only
 * through their tunnel. Two settings, in the gateway's own network namespace:
 *
 * - `net.ipv4.ip_forward=1` (set only when it is 0; put back to 0 on stop when this gateway set it);
 * - an nftables table of its own, `ip demiurge_pool`, with one rule: what leaves `tun0` for the VPN
 *   subnet from outside it is SNATed to the gateway's `.1`. The table is replaced in one `nft -f -`
 *   transaction (a restart never duplicates it) and deleted on stop; no other table is touched.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { firstLines, runCommand } from './system-command.ts';

export const FORWARDING_TABLE = 'demiurge_pool';
/** The rule's comment, so an operator reading `nft list ruleset` knows whose it is. */
const COMMENT = 'demiurge-gateway pool: backbone traffic into the tunnel, masqueraded to the gateway address';

const ForwardingOptionsSchema = z.object({
  /** The tunnel device (OpenVPN's `dev`). */
  device: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name'),
  /** The VPN subnet as `a.b.c.d/nn`. */
  subnet: z.string().refine((s) => {
    const [address, prefix, extra] = s.split('/');
    return (
      extra === undefined &&
      address !== undefined &&
      isIPv4(address) &&
      /^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefix ?? '')
    );
  }, 'an IPv4 subnet a.b.c.d/nn'),
  /** The gateway's address in the subnet (`.1`). */
  gatewayAddress: z.string().refine(isIPv4, 'an IPv4 address'),
});

export interface ForwardingOptions extends z.infer<typeof ForwardingOptionsSchema> {
  log: Logger;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', 'gw']` in tests. */
  commandPrefix?: readonly string[];
  timeoutMs?: number;
}

export interface HolderForwarding {
  /** Removes the table, and puts ip_forward back when this gateway turned it on. */
  stop(): Promise<void>;
}

/** The nft script that (re)creates the table atomically: add (so delete cannot fail), delete, define. */
export function forwardingRuleset(o: z.infer<typeof ForwardingOptionsSchema>): string {
  return [
    `table ip ${FORWARDING_TABLE}`,
    `delete table ip ${FORWARDING_TABLE}`,
    `table ip ${FORWARDING_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${o.device}" ip saddr != ${o.subnet} ip daddr ${o.subnet} counter snat to ${o.gatewayAddress} comment "${COMMENT}"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const forwardingError = (message: string) => new GatewayError(ErrorCode.Forwarding, message, 500);

/** Turns on forwarding and the SNAT rule; throws GW_ERR_FORWARDING (after one log line) when it cannot. */
export async function startForwarding(options: ForwardingOptions): Promise<HolderForwarding> {
  const parsed = ForwardingOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new GatewayError(ErrorCode.BadConfig, `pool forwarding: ${parsed.error.issues[0]?.message}`, 500);
  const checked = parsed.data;
  const prefix = options.commandPrefix ?? [];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (message: string, stderr = ''): never => {
    const error = stderr === '' ? message : `${message}: ${firstLines(stderr)}`;
    options.log.error('pool forwarding failed', { code: ErrorCode.Forwarding, error });
    throw forwardingError(error);
  };
  const sysctl = (args: string[]) => runCommand(prefix, 'sysctl', args, { timeoutMs });

  const current = await sysctl(['-n', 'net.ipv4.ip_forward']);
  if (current.code !== 0) fail('could not read net.ipv4.ip_forward', current.stderr);
  const turnedOn = current.stdout.trim() === '0';
  if (turnedOn) {
    const set = await sysctl(['-qw', 'net.ipv4.ip_forward=1']);
    if (set.code !== 0)
      fail('could not set net.ipv4.ip_forward=1 (in a container: set it at run time)', set.stderr);
  }
  const nft = await runCommand(prefix, 'nft', ['-f', '-'], { input: forwardingRuleset(checked), timeoutMs });
  if (nft.code !== 0) fail(`could not install the nftables table ${FORWARDING_TABLE}`, nft.stderr);
  options.log.info('pool forwarding on', {
    device: checked.device,
    subnet: checked.subnet,
    snatTo: checked.gatewayAddress,
    ipForwardWasOff: turnedOn,
  });

  return {
    async stop() {
      const removal = `table ip ${FORWARDING_TABLE}\ndelete table ip ${FORWARDING_TABLE}\n`;
      const out = await runCommand(prefix, 'nft', ['-f', '-'], { input: removal, timeoutMs });
      if (out.code !== 0)
        options.log.warn('pool forwarding failed', {
          code: ErrorCode.Forwarding,
          error: `could not remove the nftables table ${FORWARDING_TABLE}: ${firstLines(out.stderr)}`,
        });
      if (!turnedOn) return;
      const reset = await sysctl(['-qw', 'net.ipv4.ip_forward=0']);
      if (reset.code !== 0)
        options.log.warn('pool forwarding failed', {
          code: ErrorCode.Forwarding,
          error: `could not put net.ipv4.ip_forward back to 0: ${firstLines(reset.stderr)}`,
        });
    },
  };
}
