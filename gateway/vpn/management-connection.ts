/**
 * One connection to OpenVPN's management unix socket. OpenVPN serves a single management client at a
 * time, so this connection sends every command: one command in flight, answered by SUCCESS/ERROR or,
 * for multi-line commands, by lines up to END. Real-time `>` lines go to the notification listener.
 */
import { createConnection, type Socket } from 'node:net';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { type ManagementLine, parseManagementLine } from './management-lines.ts';

/** A command that has not been answered within this long means the connection is broken. */
export const COMMAND_TIMEOUT_MS = 10_000;
/** Longest line accepted; longer ones mean the stream is not what we think it is. */
const MAX_LINE = 64 * 1024;

interface PendingCommand {
  text: string;
  multiLine: boolean;
  lines: string[];
  resolve(result: string[]): void;
  reject(error: Error): void;
}

const managementError = (message: string) => new GatewayError(ErrorCode.Internal, message, 500);

export class ManagementConnection {
  private buffer = '';
  private readonly queue: PendingCommand[] = [];
  private inFlight: PendingCommand | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closedError: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly onNotification: (line: ManagementLine) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.fail(this.closedError ?? managementError('the OpenVPN management connection closed'));
        resolve();
      });
    });
    socket.on('error', (error) => {
      this.closedError = managementError(`OpenVPN management connection: ${error.message}`);
    });
  }

  /** Connects and resolves once the `>INFO:` banner has arrived. */
  static open(
    socketPath: string,
    onNotification: (line: ManagementLine) => void,
  ): Promise<ManagementConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path: socketPath });
      let connection: ManagementConnection | null = null;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(managementError(`no management banner from ${socketPath}`));
      }, COMMAND_TIMEOUT_MS);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(managementError(`cannot connect to OpenVPN management at ${socketPath}: ${error.message}`));
      });
      socket.once('connect', () => {
        connection = new ManagementConnection(socket, (line) => {
          if (line.kind === 'info' && connection) {
            clearTimeout(timer);
            resolve(connection);
          }
          onNotification(line);
        });
      });
    });
  }

  /** Sends a command (may span lines) and resolves with the lines of a multi-line answer, or the SUCCESS text. */
  command(text: string, multiLine = false): Promise<string[]> {
    if (this.closedError || this.socket.destroyed) {
      return Promise.reject(
        this.closedError ?? managementError('the OpenVPN management connection is closed'),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ text, multiLine, lines: [], resolve, reject });
      this.pump();
    });
  }

  close(): Promise<void> {
    this.socket.end();
    this.socket.destroySoon();
    return this.closed;
  }

  private pump(): void {
    if (this.inFlight) return;
    const next = this.queue.shift();
    if (!next) return;
    this.inFlight = next;
    this.timer = setTimeout(() => {
      this.closedError = managementError(`OpenVPN management did not answer "${next.text.split(' ')[0]}"`);
      this.socket.destroy();
    }, COMMAND_TIMEOUT_MS);
    this.socket.write(`${next.text}\n`);
  }

  private settle(action: (command: PendingCommand) => void): void {
    const done = this.inFlight;
    clearTimeout(this.timer);
    this.inFlight = null;
    if (done) action(done);
    this.pump();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_LINE) {
      this.closedError = managementError('OpenVPN management sent an overlong line');
      this.socket.destroy();
    }
  }

  private onLine(raw: string): void {
    const line = parseManagementLine(raw);
    if (raw.startsWith('>')) {
      this.onNotification(line);
      return;
    }
    const command = this.inFlight;
    if (!command) return;
    if (line.kind === 'error') {
      this.settle((c) => c.reject(managementError(`OpenVPN: ${line.text}`)));
    } else if (command.multiLine) {
      if (line.kind === 'end') this.settle((c) => c.resolve(c.lines));
      else command.lines.push(raw);
    } else if (line.kind === 'success') {
      this.settle((c) => c.resolve([line.text]));
    }
  }

  private fail(error: Error): void {
    clearTimeout(this.timer);
    const pending = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = null;
    for (const command of pending) command.reject(error);
  }
}
