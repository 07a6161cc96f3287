import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket'

describe('TokenBucket', () => {
  it('allows a burst, then paces events at the rate', () => {
    const bucket = new TokenBucket(10, 3, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(bucket.waitMs(0)).toBeCloseTo(100)
    expect(bucket.take(50)).toBe(false)
    expect(bucket.take(100)).toBe(true)
    expect(bucket.take(100)).toBe(false)
  })

  it('refills to the burst and no further', () => {
    const bucket = new TokenBucket(10, 3, 0)
    bucket.take(0)
    expect(bucket.isFull(0)).toBe(false)
    expect(bucket.level(60_000)).toBe(3)
    expect(bucket.isFull(60_000)).toBe(true)
  })

  it('is not drained by a clock that steps back', () => {
    const bucket = new TokenBucket(1, 2, 10_000)
    bucket.take(10_000)
    expect(bucket.level(5_000)).toBe(1)
    expect(bucket.take(10_000)).toBe(true)
  })
})
