/**
 * Is the tunnel up? OpenVPN creates the device before the server pushes an address, and with deferred
 * auth "Initialization Sequence Completed" can appear with no address at all: only an IPv4 address on the
 * device counts. Read from sysfs (does the device exist) and `ip -j` (machine-readable JSON).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The tunnel's IPv4 address, or undefined while it is not up. */
export type TunnelProbe = () => Promise<string | undefined>;

const IpAddrJson = z.array(
  z.object({
    ifname: z.string().optional(),
    addr_info: z.array(z.object({ family: z.string().optional(), local: z.string().optional() })).optional(),
  }),
);

/** The first IPv4 address in `ip -j addr show` output, or undefined. */
export function ipv4FromIpJson(json: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = IpAddrJson.safeParse(data);
  if (!parsed.success) return undefined;
  for (const link of parsed.data)
    for (const addr of link.addr_info ?? []) if (addr.family === 'inet' && addr.local) return addr.local;
  return undefined;
}

function ipJson(device: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['-j', '-4', 'addr', 'show', 'dev', device], { timeout: 2_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** A probe for `device`; `sysRoot` and `readIpJson` are replaceable for tests. */
export function createTunnelProbe(
  device: string,
  sysRoot = '/',
  readIpJson: (device: string) => Promise<string> = ipJson,
): TunnelProbe {
  return async () => {
    if (!existsSync(join(sysRoot, 'sys/class/net', device))) return undefined;
    try {
      return ipv4FromIpJson(await readIpJson(device));
    } catch {
      return undefined;
    }
  };
}
