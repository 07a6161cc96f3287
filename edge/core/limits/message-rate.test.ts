import { describe, expect, it } from 'vitest'
import { MessageRate } from './message-rate'

describe('MessageRate', () => {
  it('lets a peer within the rate through, bursts included', () => {
    const rate = new MessageRate({ rate: 100, burst: 10 }, 0)
    for (let t = 0; t < 5_000; t += 20) expect(rate.check(t)).toBe('ok')
    const burst = Array.from({ length: 10 }, () => rate.check(5_000))
    expect(burst.every((v) => v === 'ok')).toBe(true)
  })

  it('warns once, drops quietly, then closes a peer that keeps flooding', () => {
    const rate = new MessageRate({ rate: 100, burst: 10 }, 0)
    const verdicts = Array.from({ length: 25 }, () => rate.check(0))
    expect(verdicts.slice(0, 10).every((v) => v === 'ok')).toBe(true)
    expect(verdicts[10]).toBe('warn')
    expect(verdicts.slice(11, 20).every((v) => v === 'drop')).toBe(true)
    expect(verdicts[20]).toBe('close')
  })

  it('forgives a burst over the rate once the peer slows down', () => {
    const rate = new MessageRate({ rate: 100, burst: 10 }, 0)
    for (let i = 0; i < 15; i++) rate.check(0)
    // 100 ms later the bucket is full again: the five dropped messages are forgotten.
    expect(rate.check(100)).toBe('ok')
    for (let i = 0; i < 9; i++) rate.check(100)
    expect(rate.check(100)).toBe('warn')
  })

  it('is off with a zero rate', () => {
    expect(MessageRate.of({ rate: 0, burst: 10 })).toBeUndefined()
  })
})
