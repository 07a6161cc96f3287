import { describe, expect, it } from 'vitest'
import { advance, initialView, MINUTES, reduce } from './volunteer-view'

const T0 = 1_700_000_000_000

describe('the volunteer view', () => {
  it('tracks the connection and the id the orchestrator gave', () => {
    let view = initialView(T0)
    view = reduce(view, { type: 'state', state: 'connecting' }, T0)
    expect(view.connection).toBe('connecting')
    view = reduce(view, { type: 'welcome', volunteerId: 'v1' }, T0)
    view = reduce(view, { type: 'state', state: 'connected' }, T0)
    expect(view).toMatchObject({ connection: 'connected', volunteerId: 'v1' })
    view = reduce(view, { type: 'disconnected', code: 1006, reason: '', retryInMs: 500 }, T0)
    expect(view.retryAt).toBe(T0 + 500)
  })

  it('counts finished jobs, CPU time and keeps the newest errors first', () => {
    let view = initialView(T0)
    view = reduce(view, { type: 'job-started', jobId: 'a', jobType: 'js' }, T0)
    view = reduce(view, { type: 'job-started', jobId: 'b', jobType: 'lua' }, T0)
    expect(view.running.map((j) => j.id)).toEqual(['a', 'b'])
    view = reduce(view, { type: 'job-finished', jobId: 'a', ok: true, durationMs: 12 }, T0)
    view = reduce(
      view,
      { type: 'job-finished', jobId: 'b', ok: false, durationMs: 8, error: 'boom' },
      T0 + 1,
    )
    expect(view).toMatchObject({ completed: 1, failed: 1, cpuMs: 20, running: [] })
    expect(view.errors[0]).toMatchObject({ jobId: 'b', message: 'boom' })
    expect(view.perMinute.at(-1)).toBe(2)
  })

  it('moves the per-minute chart with the clock', () => {
    let view = reduce(
      initialView(T0),
      { type: 'job-finished', jobId: 'a', ok: true, durationMs: 1 },
      T0,
    )
    view = advance(view, T0 + 3 * 60_000)
    expect(view.perMinute).toHaveLength(MINUTES)
    expect(view.perMinute.at(-4)).toBe(1)
    expect(view.perMinute.at(-1)).toBe(0)
    view = advance(view, T0 + 2 * MINUTES * 60_000)
    expect(view.perMinute.every((n) => n === 0)).toBe(true)
  })
  it("keeps each running job's start time and the latest progress its guest reported", () => {
    let view = reduce(initialView(T0), { type: 'job-started', jobId: 'a', jobType: 'py' }, T0)
    view = reduce(view, { type: 'job-started', jobId: 'b', jobType: 'js' }, T0 + 5)
    view = reduce(view, { type: 'job-progress', jobId: 'a', fraction: 0.2 }, T0 + 6)
    view = reduce(
      view,
      { type: 'job-progress', jobId: 'a', fraction: 0.4, message: 'step 2' },
      T0 + 7,
    )
    view = reduce(view, { type: 'job-progress', jobId: 'gone', fraction: 1 }, T0 + 8)
    expect(view.running).toEqual([
      { id: 'a', type: 'py', since: T0, progress: { fraction: 0.4, message: 'step 2' } },
      { id: 'b', type: 'js', since: T0 + 5 },
    ])
  })
})
