/**
 * Structured logs: one JSON object per line, `{"time","level","msg",...fields}`. The core logs
 * through this interface; each host decides where lines go (Node: stdout, Workers: console).
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
/** The least severe level written; `silent` writes nothing. */
export type LogThreshold = LogLevel | 'silent'
export const LOG_THRESHOLDS: readonly LogThreshold[] = [...LOG_LEVELS, 'silent']

type LogFields = Record<string, unknown>

export interface Logger {
  /** Whether a line at this level would be written: check it before building costly fields. */
  enabled(level: LogLevel): boolean
  log(level: LogLevel, msg: string, fields?: LogFields): void
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const RANK: Record<LogThreshold, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

export function isLogThreshold(value: string): value is LogThreshold {
  return Object.hasOwn(RANK, value)
}

/**
 * A logger that hands each line (JSON text, no newline) and its level to `write`; lines below
 * `threshold` are dropped before anything is built.
 */
export function jsonLogger(
  write: (line: string, level: LogLevel) => void,
  threshold: LogThreshold = 'info',
  now: () => number = Date.now,
): Logger {
  const min = RANK[threshold]
  const enabled = (level: LogLevel) => RANK[level] >= min
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (!enabled(level)) return
    const head = { time: new Date(now()).toISOString(), level, msg }
    let line: string
    try {
      line = JSON.stringify({ ...head, ...fields }, replaceErrors)
    } catch {
      // A circular field: the line still goes out, without its fields.
      line = JSON.stringify({ ...head, fields: 'unserializable' })
    }
    write(line, level)
  }
  return {
    enabled,
    log,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  }
}

/** Errors have no enumerable fields; log what an operator needs from one. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, stack: value.stack }
  // JSON has no bigint; a log line must never fail to serialize.
  if (typeof value === 'bigint') return value.toString()
  return value
}

/** Lines through `console`, whose method carries the level (Workers Logs and browsers read it). */
export function consoleLogger(threshold: LogThreshold = 'info'): Logger {
  return jsonLogger((line, level) => console[level](line), threshold)
}
