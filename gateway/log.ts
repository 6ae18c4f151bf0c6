/** Structured JSON logs, one line each. Callers pass fields; tokens, cookies and bodies are never logged. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Characters of batched lines held at most before they are written. */
const MAX_BATCH = 64 * 1024;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /**
   * A line of a log the operator turned on with a setting of its own (the access log): written at
   * `info` whatever LOG_LEVEL says. `fields` are JSON members written by the caller (`"a":1,"b":"x"`),
   * so no object is made per line; such lines leave in one write per event-loop turn.
   */
  line(msg: string, fields: string): void;
}

export function createLogger(
  level: Level,
  /** Writes one line, or several joined by `\n`. */
  write: (lines: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  let batch = '';
  // The time of a line, made once per millisecond (`toISOString` costs more than the rest of a line).
  let lastMs = 0;
  let lastTime = '';
  const time = () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    return lastTime;
  };
  const flush = () => {
    if (batch === '') return;
    const lines = batch;
    batch = '';
    write(lines);
  };
  const at = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    flush(); // lines leave in the order they were logged
    write(JSON.stringify({ time: time(), level: lvl, msg, ...fields }));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    line(msg, fields) {
      const line = `{"time":"${time()}","level":"info","msg":${JSON.stringify(msg)},${fields}}`;
      if (batch === '') {
        batch = line;
        setImmediate(flush);
      } else {
        batch += `\n${line}`;
        if (batch.length > MAX_BATCH) flush();
      }
    },
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, line() {} };
