import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff'

describe('Backoff', () => {
  it('doubles up to the cap, jittered into the upper half, and resets', () => {
    const top = new Backoff(100, 1000, () => 1)
    expect([top.next(), top.next(), top.next(), top.next(), top.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ])
    const bottom = new Backoff(100, 1000, () => 0)
    expect([bottom.next(), bottom.next()]).toEqual([50, 100])
    bottom.reset()
    expect(bottom.next()).toBe(50)
  })
})
