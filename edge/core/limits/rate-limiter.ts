/**
 * Token buckets by key (a client's address or token). A bucket that has refilled is the same as
 * none, so such buckets are forgotten now and then; past `maxKeys` live buckets the oldest go
 * too, which lets a client start afresh only while the limiter is swamped by that many others.
 */
import { TokenBucket } from './token-bucket'

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number }

export interface RateLimiterOptions {
  /** Tokens a second per key. */
  rate: number
  /** Tokens a fresh key starts with, and the most it keeps. */
  burst: number
  /** Live buckets kept at most (default 100,000). */
  maxKeys?: number
}

/** Uses between sweeps of full buckets. */
const SWEEP_EVERY = 4096

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly maxKeys: number
  private uses = 0

  constructor(private readonly options: RateLimiterOptions) {
    this.maxKeys = options.maxKeys ?? 100_000
  }

  get size(): number {
    return this.buckets.size
  }

  /** Takes a token from `key`'s bucket, or says how long until there is one. */
  take(key: string, now = Date.now()): RateVerdict {
    const bucket = this.bucket(key, now)
    if (bucket.take(now)) return { ok: true }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(bucket.waitMs(now) / 1000)) }
  }

  /** Whether `key` has a token, without taking it. */
  has(key: string, now = Date.now()): boolean {
    const bucket = this.buckets.get(key)
    return !bucket || bucket.level(now) >= 1
  }

  /** The wait `take` would report for `key`, in whole seconds (at least 1). */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key)
    return Math.max(1, Math.ceil((bucket?.waitMs(now) ?? 0) / 1000))
  }

  /** Forgets buckets that have refilled; returns how many are left. */
  sweep(now = Date.now()): number {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key)
    return this.buckets.size
  }

  private bucket(key: string, now: number): TokenBucket {
    const known = this.buckets.get(key)
    if (known) return known
    if (++this.uses >= SWEEP_EVERY || this.buckets.size >= this.maxKeys) {
      this.uses = 0
      this.sweep(now)
      // Still swamped: drop the oldest buckets (Map order is insertion order).
      for (const old of this.buckets.keys()) {
        if (this.buckets.size < this.maxKeys) break
        this.buckets.delete(old)
      }
    }
    const bucket = new TokenBucket(this.options.rate, this.options.burst, now)
    this.buckets.set(key, bucket)
    return bucket
  }
}
