/**
 * Keeps a guest that reports progress in a tight loop from flooding the socket: one report per
 * interval goes out at once, and the latest one held back follows when the interval is over, so
 * the last word is never lost.
 */

/** Guest progress as the agent passes it on. */
export interface GuestProgress {
  fraction: number
  message?: string | undefined
}

/** At most a few reports a second reach the orchestrator (see PROGRESS_INTERVAL_MS). */
const PROGRESS_INTERVAL_MS = 250

export class ProgressGate {
  private sentAt = -Infinity
  private held: GuestProgress | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `send` carries one report out; `now` is the clock, a parameter for tests. */
  constructor(
    private readonly send: (progress: GuestProgress) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new report: sent now if the last one went out an interval ago, otherwise held. */
  offer(progress: GuestProgress): void {
    const wait = this.sentAt + this.intervalMs - this.now()
    if (wait <= 0) return this.emit(progress)
    this.held = progress
    this.timer ??= setTimeout(() => this.flush(), wait)
  }

  /** Sends the report held back, if any (before the job's result, so it is not lost). */
  flush(): void {
    if (this.held) this.emit(this.held)
  }

  /** Forgets what is held: the job ended and nobody wants its progress. */
  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.held = undefined
  }

  /** Sends `progress`, the newest report: whatever is still held is older and goes unsent. */
  private emit(progress: GuestProgress): void {
    this.stop()
    this.sentAt = this.now()
    this.send(progress)
  }
}
