/** The last lines each function printed, in memory (like `wrangler tail`, they do not outlive a restart). */
export interface LogLine {
  time: string
  line: string
}

export class FunctionLogs {
  private readonly logs = new Map<string, LogLine[]>()

  constructor(private readonly keep = 1000) {}

  append(user: string, path: string, text: string, now = Date.now()): void {
    if (!text) return
    const key = `${user}${path}`
    let lines = this.logs.get(key)
    if (!lines) this.logs.set(key, (lines = []))
    const time = new Date(now).toISOString()
    for (const line of text.replace(/\n$/, '').split('\n')) lines.push({ time, line })
    if (lines.length > this.keep) lines.splice(0, lines.length - this.keep)
  }

  tail(user: string, path: string, count: number): LogLine[] {
    return (this.logs.get(`${user}${path}`) ?? []).slice(-count)
  }

  clear(user: string, path: string): void {
    this.logs.delete(`${user}${path}`)
  }
}
