import { describe, expect, it } from 'vitest'
import { CPU_SAMPLES, initialCpu, sampleCpu } from './cpu-series'
import { initialView, reduce, sample } from './volunteer-view'

const T0 = 1_700_000_000_000

describe('the CPU plot series', () => {
  it('shows the cores busy between samples, counting a job from when a thread takes it', () => {
    let view = initialView(T0)
    // Two threads busy for the whole first interval.
    view = reduce(view, { type: 'job-started', jobId: 'a', jobType: 'js' }, T0)
    view = reduce(view, { type: 'job-started', jobId: 'b', jobType: 'js' }, T0)
    view = sample(view, T0 + 5_000)
    // One of them ends half-way through the second; the other runs on.
    view = reduce(
      view,
      { type: 'job-finished', jobId: 'a', ok: true, durationMs: 7_500 },
      T0 + 7_500,
    )
    view = sample(view, T0 + 10_000)
    // Nothing runs in the third once b ends at its start.
    view = reduce(
      view,
      { type: 'job-finished', jobId: 'b', ok: true, durationMs: 10_000 },
      T0 + 10_000,
    )
    view = sample(view, T0 + 15_000)
    expect(view.cpu.cores).toEqual([2, 1.5, 0])
    expect(view.cpu.at).toEqual([(T0 + 5_000) / 1000, (T0 + 10_000) / 1000, (T0 + 15_000) / 1000])
  })

  it('counts the running jobs cut off by a disconnect up to that moment', () => {
    let view = initialView(T0)
    view = reduce(view, { type: 'job-started', jobId: 'a', jobType: 'lua' }, T0)
    view = reduce(view, { type: 'disconnected', code: 1006, reason: '' }, T0 + 1_000)
    view = sample(view, T0 + 4_000)
    expect(view.cpu.cores).toEqual([0.25])
  })

  it('keeps only the last CPU_SAMPLES points', () => {
    let series = initialCpu(0)
    for (let i = 1; i <= CPU_SAMPLES + 5; i++) series = sampleCpu(series, i * 1000, i * 1000)
    expect(series.cores).toHaveLength(CPU_SAMPLES)
    expect(series.at[0]).toBe(6)
    expect(sampleCpu(series, 0, series.lastAt)).toBe(series)
  })
})
