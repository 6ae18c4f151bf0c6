/**
 * The gateway's side of OpenVPN's `management-client-auth`: every connecting client is put to the
 * `authorize` callback, which either allows it with the address to push or denies it. Keeps the
 * list of connected clients from the event stream.
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { ConfigLine } from './config-values.ts';
import { ManagementConnection } from './management-connection.ts';
import { type ClientEvent, ClientEventAssembler, type ManagementLine } from './management-lines.ts';
import { parseStatus, type StatusClient } from './management-status.ts';

/** What the gateway learns about a connecting client (the certificate is the identity). */
export interface ConnectRequest {
  cid: number;
  kid: number;
  /** A renegotiation of an established session rather than a new connection. */
  reauth: boolean;
  commonName: string;
  /** Serial of the client certificate, lowercase hex with colons as OpenVPN reports it. */
  serialHex: string;
  /** Offered with auth-user-pass (legacy clients); never log the password. */
  username?: string;
  password?: string;
  realAddress: string;
}

export type AuthDecision =
  | {
      allow: true;
      address: string /** extra config lines for the client, e.g. `push "route ..."` */;
      lines?: string[];
    }
  | { allow: false; reason: string };

/** A connected client (the same shape `status 3` reports). */
export type ConnectedClient = StatusClient;

export type ClientChange =
  | { kind: 'established'; client: ConnectedClient }
  | { kind: 'disconnected'; client: ConnectedClient };

export interface ManagementOptions {
  /** Decides per connect; a throw denies (fail closed). */
  authorize(request: ConnectRequest): Promise<AuthDecision>;
  /** Netmask pushed with each address (the VPN subnet's). */
  netmask: string;
  /** Seconds between per-client byte counts; 0 disables them. */
  bytecountIntervalSec?: number;
  onClientChange?(change: ClientChange): void;
  /** Diagnostics; never receives passwords. */
  log?(message: string): void;
}

export class OpenVpnManagement {
  private readonly assembler = new ClientEventAssembler();
  private readonly connected = new Map<number, ConnectedClient>();
  private connection: ManagementConnection | null = null;

  private constructor(private readonly options: ManagementOptions) {}

  /** Connects to the socket and resolves after the banner; client auth starts at once. */
  static async connect(socketPath: string, options: ManagementOptions): Promise<OpenVpnManagement> {
    const management = new OpenVpnManagement(options);
    management.connection = await ManagementConnection.open(socketPath, (line) => management.onLine(line));
    const interval = options.bytecountIntervalSec ?? 10;
    if (interval > 0) await management.connection.command(`bytecount ${interval}`);
    return management;
  }

  /**
   * Lets OpenVPN start serving (it waits under `management-hold`), and not wait again after a restart of
   * its own: this client is attached, so no client's auth request can go unseen.
   */
  async releaseHold(): Promise<void> {
    await this.send('hold off');
    await this.send('hold release');
  }

  /** Resolves when the connection ends (OpenVPN exited or close() was called). */
  get closed(): Promise<void> {
    return this.conn().closed;
  }

  /** Clients connected now, as the event stream reported them. */
  clients(): ConnectedClient[] {
    return [...this.connected.values()].map((c) => ({ ...c }));
  }

  /** Allows a pending client with these config lines (`ifconfig-push ...`); lines are checked first. */
  async clientAuth(cid: number, kid: number, lines: readonly string[]): Promise<void> {
    for (const line of lines) {
      if (!ConfigLine.safeParse(line).success) {
        throw new GatewayError(
          ErrorCode.Internal,
          'refusing to push a config line with control characters',
          500,
        );
      }
    }
    const body = lines.length > 0 ? `\n${lines.join('\n')}` : '';
    await this.send(`client-auth ${cid} ${kid}${body}\nEND`);
  }

  /** Denies a pending client; it gets AUTH_FAILED and exits. */
  clientDeny(cid: number, kid: number, reason: string): Promise<void> {
    const quoted = quote(reason);
    return this.send(`client-deny ${cid} ${kid} ${quoted} ${quoted}`);
  }

  /** Disconnects a client for good: HALT makes it exit instead of reconnecting. */
  clientKill(cid: number, how: 'HALT' | 'RESTART' = 'HALT'): Promise<void> {
    return this.send(`client-kill ${cid} ${how}`);
  }

  /** OpenVPN's own client list (`status 3`). */
  async status(): Promise<StatusClient[]> {
    return parseStatus(await this.conn().command('status 3', true));
  }

  close(): Promise<void> {
    return this.connection?.close() ?? Promise.resolve();
  }

  private conn(): ManagementConnection {
    if (!this.connection) throw new GatewayError(ErrorCode.Internal, 'management is not connected', 500);
    return this.connection;
  }

  private async send(command: string): Promise<void> {
    await this.conn().command(command);
  }

  private onLine(line: ManagementLine): void {
    if (line.kind === 'client-address') {
      const client = this.connected.get(line.cid);
      if (client && line.primary) client.vpnAddress = line.address;
      return;
    }
    if (line.kind === 'bytecount') {
      const client = this.connected.get(line.cid);
      if (client) Object.assign(client, { bytesReceived: line.bytesReceived, bytesSent: line.bytesSent });
      return;
    }
    const event = this.assembler.push(line);
    if (event) this.onClientEvent(event);
  }

  private onClientEvent(event: ClientEvent): void {
    const env = event.env;
    if ((event.event === 'CONNECT' || event.event === 'REAUTH') && event.kid !== null) {
      void this.decide(event.cid, event.kid, event.event === 'REAUTH', env);
    } else if (event.event === 'ESTABLISHED') {
      const client: ConnectedClient = {
        cid: event.cid,
        commonName: env.common_name ?? '',
        realAddress: joinAddress(env.trusted_ip ?? env.untrusted_ip, env.trusted_port ?? env.untrusted_port),
        vpnAddress: env.ifconfig_pool_remote_ip || this.connected.get(event.cid)?.vpnAddress || null,
        bytesReceived: 0,
        bytesSent: 0,
        since: (Number(env.time_unix) || Math.floor(Date.now() / 1000)) * 1000,
      };
      this.connected.set(event.cid, client);
      this.options.onClientChange?.({ kind: 'established', client: { ...client } });
    } else if (event.event === 'DISCONNECT') {
      const client = this.connected.get(event.cid);
      this.connected.delete(event.cid);
      if (!client) return;
      client.bytesReceived = Number(env.bytes_received) || client.bytesReceived;
      client.bytesSent = Number(env.bytes_sent) || client.bytesSent;
      this.options.onClientChange?.({ kind: 'disconnected', client });
    }
  }

  private async decide(
    cid: number,
    kid: number,
    reauth: boolean,
    env: Record<string, string>,
  ): Promise<void> {
    const request: ConnectRequest = {
      cid,
      kid,
      reauth,
      commonName: env.common_name ?? env.X509_0_CN ?? '',
      serialHex: env.tls_serial_hex_0 ?? '',
      ...(env.username !== undefined ? { username: env.username } : {}),
      ...(env.password !== undefined ? { password: env.password } : {}),
      realAddress: joinAddress(env.untrusted_ip, env.untrusted_port),
    };
    let decision: AuthDecision;
    try {
      decision = await this.options.authorize(request);
    } catch (error) {
      this.options.log?.(`authorize failed for cid ${cid}: ${(error as Error).message}`);
      decision = { allow: false, reason: 'gateway could not check this client' };
    }
    try {
      if (!decision.allow) {
        this.options.log?.(`deny cid ${cid} (${request.commonName}): ${decision.reason}`);
        await this.clientDeny(cid, kid, decision.reason);
      } else if (reauth) {
        await this.send(`client-auth-nt ${cid} ${kid}`);
      } else {
        const push = `ifconfig-push ${decision.address} ${this.options.netmask}`;
        await this.clientAuth(cid, kid, [push, ...(decision.lines ?? [])]);
      }
    } catch (error) {
      // The client may have gone meanwhile; OpenVPN then answers ERROR and nothing is left to do.
      this.options.log?.(`answering cid ${cid} failed: ${(error as Error).message}`);
    }
  }
}

/** OpenVPN's quoting for a management argument. */
function quote(text: string): string {
  return `"${text.replace(/[\r\n]/g, ' ').replace(/["\\]/g, '\\$&')}"`;
}

const joinAddress = (ip: string | undefined, port: string | undefined) =>
  ip ? (port ? `${ip}:${port}` : ip) : '';
