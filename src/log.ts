/**
 * Logging to stderr with a per-key rate limit, so a flood of bad input costs one line per interval
 * rather than one per bad line. Suppressed counts are reported when the key logs again.
 */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  /** Logs at most once per `intervalMs` for this key; later calls in the window are counted. */
  limited(key: string, msg: string, intervalMs?: number): void;
}

export function createLogger(scope: string, sink: (line: string) => void = defaultSink): Logger {
  const last = new Map<string, { at: number; suppressed: number }>();
  const write = (level: string, msg: string) =>
    sink(`${new Date().toISOString()} ${level} [${scope}] ${msg}`);
  return {
    info: (msg) => write('INFO', msg),
    warn: (msg) => write('WARN', msg),
    limited(key, msg, intervalMs = 10_000) {
      const now = Date.now();
      const seen = last.get(key);
      if (seen && now - seen.at < intervalMs) {
        seen.suppressed++;
        return;
      }
      const extra = seen?.suppressed ? ` (${seen.suppressed} more like this suppressed)` : '';
      last.set(key, { at: now, suppressed: 0 });
      write('WARN', msg + extra);
    },
  };
}

let quiet = false;
/** Silences default logging (tests). */
export function setQuiet(q: boolean): void {
  quiet = q;
}

function defaultSink(line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}
