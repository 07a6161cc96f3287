/**
 * The last lines each function printed, and its last calls (invocation-log.ts), in memory (like
 * `wrangler tail`, they do not outlive a restart). What a volunteer reports is untrusted, so both
 * dimensions are bounded: `keep` lines per function, each cut at MAX_LOG_LINE characters,
 * whatever the volunteer printed.
 */
import { InvocationLog } from './invocation-log'

export interface LogLine {
  time: string
  line: string
}

/** Longest line kept (in characters) before the marker; 1,000 lines of it are 8 MiB a function. */
export const MAX_LOG_LINE = 8 * 1024

export class FunctionLogs {
  private readonly logs = new Map<string, LogLine[]>()
  /** Every call's status, duration and error, newest first when read. */
  readonly calls: InvocationLog

  constructor(
    private readonly keep = 1000,
    keepCalls = 500,
  ) {
    this.calls = new InvocationLog(keepCalls)
  }

  append(user: string, path: string, text: string, now = Date.now()): void {
    if (!text) return
    const key = `${user}${path}`
    let lines = this.logs.get(key)
    if (!lines) this.logs.set(key, (lines = []))
    const time = new Date(now).toISOString()
    const all = text.replace(/\n$/, '').split('\n')
    // Only the last `keep` lines can survive this append: cut nothing that is thrown away anyway.
    for (const line of all.slice(-this.keep)) lines.push({ time, line: capLine(line) })
    if (lines.length > this.keep) lines.splice(0, lines.length - this.keep)
  }

  tail(user: string, path: string, count: number): LogLine[] {
    return (this.logs.get(`${user}${path}`) ?? []).slice(-count)
  }

  clear(user: string, path: string): void {
    this.logs.delete(`${user}${path}`)
    this.calls.clear(user, path)
  }
}

/** A line as kept: itself, or its first MAX_LOG_LINE characters and how many more there were. */
function capLine(line: string): string {
  if (line.length <= MAX_LOG_LINE) return line
  const cut = line.length - MAX_LOG_LINE
  return `${line.slice(0, MAX_LOG_LINE)}… [line cut: ${cut} character${cut === 1 ? '' : 's'} more]`
}
