import { describe, expect, it } from 'vitest'
import { invocationSeries } from './invocation-series'

const call = (time: string, status = 200, duration_ms = 5) => ({
  time,
  status,
  duration_ms,
  version: 1,
})

describe('invocationSeries', () => {
  it('buckets calls by time, oldest first, and counts the failed ones apart', () => {
    const series = invocationSeries([
      call('2026-01-01T00:00:02.500Z', 500, 30),
      call('2026-01-01T00:00:01.200Z', 200, 20),
      call('2026-01-01T00:00:00.100Z', 200, 10),
    ])
    expect(series.bucketSeconds).toBe(1)
    expect(series.rate).toEqual([1, 1, 1])
    expect(series.errorRate).toEqual([0, 0, 1])
    expect(series.latency).toEqual([10, 20, 30])
    expect(series.latencyTimes[0]).toBeLessThan(series.latencyTimes[2]!)
  })

  it('widens the buckets so a long log stays about thirty points', () => {
    const calls = [call('2026-01-01T00:00:00Z'), call('2026-01-01T00:10:00Z')]
    const series = invocationSeries(calls)
    expect(series.bucketSeconds).toBe(21)
    expect(series.rate.length).toBeLessThanOrEqual(30)
    expect(series.rate.reduce((a, b) => a + b, 0) * series.bucketSeconds).toBe(2)
  })

  it('has no points without calls', () => {
    expect(invocationSeries([]).rate).toEqual([])
  })
})
