/** Collects a guest's printed output up to a limit, so a print loop cannot exhaust the host. */

const TRUNCATION_MARK = '\n[output truncated]\n'

export class OutputBuffer {
  private parts: string[] = []
  private size = 0
  private truncated = false

  constructor(private readonly limit: number) {}

  write(text: string): void {
    if (this.truncated) return
    const room = this.limit - this.size
    if (text.length <= room) {
      this.parts.push(text)
      this.size += text.length
      return
    }
    this.parts.push(text.slice(0, Math.max(0, room)), TRUNCATION_MARK)
    this.size = this.limit
    this.truncated = true
  }

  get isTruncated(): boolean {
    return this.truncated
  }

  toString(): string {
    return this.parts.join('')
  }
}
