/** One JSON line per log record on stderr. Callers never pass tokens or settings: only facts. */

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** A logger writing JSON lines to `write` (stderr by default). */
export function createLog(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Log {
  return (level, message, fields) => {
    write(JSON.stringify({ time: new Date().toISOString(), level, component: 'agent', message, ...fields }));
  };
}

/** The message of anything thrown, for logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
