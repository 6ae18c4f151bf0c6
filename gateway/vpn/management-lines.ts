/**
 * OpenVPN management interface lines (protocol version 5), parsed one at a time, and the assembler
 * that turns `>CLIENT:<event>` headers plus their `>CLIENT:ENV` blocks into whole client events.
 */

export type ClientEventType = 'CONNECT' | 'REAUTH' | 'ESTABLISHED' | 'DISCONNECT' | 'CR_RESPONSE';

export type ManagementLine =
  /** The banner `>INFO:OpenVPN Management Interface Version 5 ...`. */
  | { kind: 'info'; text: string }
  | { kind: 'client'; event: ClientEventType; cid: number; kid: number | null }
  | { kind: 'client-env'; name: string; value: string }
  | { kind: 'client-env-end' }
  | { kind: 'client-address'; cid: number; address: string; primary: boolean }
  | { kind: 'bytecount'; cid: number; bytesReceived: number; bytesSent: number }
  /** Any other real-time notification (`>STATE:`, `>LOG:`, `>HOLD:` ...). */
  | { kind: 'notification'; type: string; text: string }
  | { kind: 'success'; text: string }
  | { kind: 'error'; text: string }
  /** Terminates a multi-line command answer (`status`). */
  | { kind: 'end' }
  /** A line of a multi-line command answer. */
  | { kind: 'text'; text: string };

const NOTIFICATION = /^>([A-Z_]+):(.*)$/;
const CLIENT_EVENT = /^(CONNECT|REAUTH|ESTABLISHED|DISCONNECT|CR_RESPONSE),(\d+)(?:,(\d+))?/;
const CLIENT_ADDRESS = /^(\d+),([^,]+),([01])$/;
const BYTECOUNT_CLI = /^(\d+),(\d+),(\d+)$/;

/** Parses one line (without its CR/LF). */
export function parseManagementLine(line: string): ManagementLine {
  const note = NOTIFICATION.exec(line);
  if (!note) {
    if (line === 'END') return { kind: 'end' };
    if (line.startsWith('SUCCESS:')) return { kind: 'success', text: line.slice(8).trim() };
    if (line.startsWith('ERROR:')) return { kind: 'error', text: line.slice(6).trim() };
    return { kind: 'text', text: line };
  }
  const type = note[1] ?? '';
  const text = note[2] ?? '';
  if (type === 'INFO') return { kind: 'info', text };
  if (type === 'BYTECOUNT_CLI') {
    const m = BYTECOUNT_CLI.exec(text);
    if (m)
      return { kind: 'bytecount', cid: Number(m[1]), bytesReceived: Number(m[2]), bytesSent: Number(m[3]) };
  }
  if (type !== 'CLIENT') return { kind: 'notification', type, text };
  if (text === 'ENV,END') return { kind: 'client-env-end' };
  if (text.startsWith('ENV,')) {
    const pair = text.slice(4);
    const eq = pair.indexOf('=');
    return eq < 0
      ? { kind: 'client-env', name: pair, value: '' }
      : { kind: 'client-env', name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  }
  if (text.startsWith('ADDRESS,')) {
    const m = CLIENT_ADDRESS.exec(text.slice(8));
    if (m) return { kind: 'client-address', cid: Number(m[1]), address: m[2] ?? '', primary: m[3] === '1' };
  }
  const event = CLIENT_EVENT.exec(text);
  if (event) {
    return {
      kind: 'client',
      event: event[1] as ClientEventType,
      cid: Number(event[2]),
      kid: event[3] === undefined ? null : Number(event[3]),
    };
  }
  return { kind: 'notification', type, text };
}

/** A client event with its ENV block. */
export interface ClientEvent {
  event: ClientEventType;
  cid: number;
  kid: number | null;
  env: Record<string, string>;
}

/** Bounds a misbehaving peer: a real ENV block has a few dozen entries. */
const MAX_ENV_ENTRIES = 500;

/** Collects `>CLIENT:<event>` + ENV lines; returns the event when its `>CLIENT:ENV,END` arrives. */
export class ClientEventAssembler {
  private pending: ClientEvent | null = null;

  /** Feeds a parsed line; returns a completed event, or null. */
  push(line: ManagementLine): ClientEvent | null {
    if (line.kind === 'client') {
      this.pending = {
        event: line.event,
        cid: line.cid,
        kid: line.kid,
        env: Object.create(null) as Record<string, string>,
      };
      return null;
    }
    if (!this.pending) return null;
    if (line.kind === 'client-env') {
      if (Object.keys(this.pending.env).length < MAX_ENV_ENTRIES) this.pending.env[line.name] = line.value;
      return null;
    }
    if (line.kind === 'client-env-end') {
      const done = this.pending;
      this.pending = null;
      return done;
    }
    return null;
  }
}
