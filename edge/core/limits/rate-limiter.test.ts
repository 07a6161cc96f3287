import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter'

describe('RateLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 2 })
    expect(limiter.take('a', 0).ok).toBe(true)
    expect(limiter.take('a', 0).ok).toBe(true)
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 1 })
    expect(limiter.take('b', 0).ok).toBe(true)
  })

  it('says how long to wait in whole seconds, rounding up', () => {
    const limiter = new RateLimiter({ rate: 0.2, burst: 1 })
    limiter.take('slow', 0)
    expect(limiter.take('slow', 1_000)).toEqual({ ok: false, retryAfterSeconds: 4 })
    expect(limiter.retryAfterSeconds('slow', 1_000)).toBe(4)
    expect(limiter.take('slow', 5_000).ok).toBe(true)
  })

  it('looks without taking', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1 })
    expect(limiter.has('k', 0)).toBe(true)
    expect(limiter.has('k', 0)).toBe(true)
    limiter.take('k', 0)
    expect(limiter.has('k', 0)).toBe(false)
  })

  it('forgets buckets that refilled, and stays within maxKeys under a swarm', () => {
    const limiter = new RateLimiter({ rate: 10, burst: 10, maxKeys: 100 })
    for (let i = 0; i < 1_000; i++) limiter.take(`client-${i}`, 0)
    expect(limiter.size).toBeLessThanOrEqual(100)
    expect(limiter.sweep(10_000)).toBe(0)
  })
})
