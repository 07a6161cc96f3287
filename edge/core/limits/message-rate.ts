/**
 * The message-rate limit of one WebSocket. Within the rate a message is handled; past it, it is
 * dropped, the first time with a warning to the peer; a peer that keeps going (more dropped
 * messages than the burst before its bucket is half full again) is disconnected with 1008.
 */
import { TokenBucket } from './token-bucket'

/**
 * `ok`: handle it. `warn`: drop it and tell the peer to slow down. `drop`: drop it quietly.
 * `close`: drop it and close the socket (policy violation).
 */
export type MessageVerdict = 'ok' | 'warn' | 'drop' | 'close'

export interface MessageRateSettings {
  /** Messages a second; 0 turns the limit off. */
  rate: number
  burst: number
}

export class MessageRate {
  private readonly bucket: TokenBucket
  private dropped = 0

  constructor(
    readonly settings: MessageRateSettings,
    now = Date.now(),
  ) {
    this.bucket = new TokenBucket(settings.rate, settings.burst, now)
  }

  /** A limiter for these settings, or undefined when they turn it off. */
  static of(settings: MessageRateSettings, now = Date.now()): MessageRate | undefined {
    return settings.rate > 0 && settings.burst > 0 ? new MessageRate(settings, now) : undefined
  }

  check(now = Date.now()): MessageVerdict {
    if (this.bucket.take(now)) {
      // Back under the rate for a while: forgive what was dropped before.
      if (this.dropped > 0 && this.bucket.level(now) >= this.settings.burst / 2) this.dropped = 0
      return 'ok'
    }
    this.dropped++
    if (this.dropped > this.settings.burst) return 'close'
    return this.dropped === 1 ? 'warn' : 'drop'
  }

  /** For the warning and the close reason. */
  describe(): string {
    return `more than ${this.settings.rate} messages a second (bursts of ${this.settings.burst})`
  }
}
