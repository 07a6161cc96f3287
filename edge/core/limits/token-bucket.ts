/**
 * A token bucket: up to `burst` tokens, refilled continuously at `rate` a second; each event
 * takes one. The state is two numbers, so millions of buckets cost little, and time is passed in,
 * so tests need no clock.
 */
export class TokenBucket {
  private tokens: number
  private at: number

  constructor(
    readonly rate: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst
    this.at = now
  }

  /** Takes one token; false when there was none. */
  take(now = Date.now()): boolean {
    this.refill(now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Milliseconds until a token is there (0 when one is there now). */
  waitMs(now = Date.now()): number {
    this.refill(now)
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rate) * 1000
  }

  /** Tokens there now (fractional). */
  level(now = Date.now()): number {
    this.refill(now)
    return this.tokens
  }

  /** Full again: the same as a bucket never used, so a keyed limiter may forget it. */
  isFull(now = Date.now()): boolean {
    return this.level(now) >= this.burst
  }

  private refill(now: number): void {
    // A clock that steps back (NTP) must not drain the bucket.
    if (now > this.at)
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000)
    this.at = Math.max(this.at, now)
  }
}
