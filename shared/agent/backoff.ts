/** Exponential backoff with jitter, so a crowd of volunteers does not reconnect in lockstep. */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly initialMs = 250,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt)
    this.attempt++
    // Full range [base/2, base]: spreads reconnects while keeping the growth.
    return Math.round(base / 2 + (base / 2) * this.random())
  }

  reset(): void {
    this.attempt = 0
  }
}
