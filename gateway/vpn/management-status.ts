/** Parses the answer to `status 3` (tab-separated, columns named by its HEADER lines). */

/** A connected VPN client, as the management interface reports it. */
export interface StatusClient {
  cid: number;
  commonName: string;
  /** `ip:port` of the client on the underlay. */
  realAddress: string;
  vpnAddress: string | null;
  bytesReceived: number;
  bytesSent: number;
  /** Epoch ms of establishment. */
  since: number;
}

/** The CLIENT_LIST rows of a `status 3` answer (lines without the final END). */
export function parseStatus(lines: readonly string[]): StatusClient[] {
  let columns: string[] = [];
  const clients: StatusClient[] = [];
  for (const line of lines) {
    const cells = line.split('\t');
    if (cells[0] === 'HEADER' && cells[1] === 'CLIENT_LIST') columns = cells.slice(1);
    if (cells[0] !== 'CLIENT_LIST' || columns.length === 0) continue;
    const cell = (name: string) => cells[columns.indexOf(name)] ?? '';
    clients.push({
      cid: Number(cell('Client ID')),
      commonName: cell('Common Name'),
      realAddress: cell('Real Address'),
      vpnAddress: cell('Virtual Address') || null,
      bytesReceived: Number(cell('Bytes Received')) || 0,
      bytesSent: Number(cell('Bytes Sent')) || 0,
      since: (Number(cell('Connected Since (time_t)')) || 0) * 1000,
    });
  }
  return clients;
}
