import { describe, expect, it } from 'vitest'
import { agentEventLine } from './agent-log'

const url = 'ws://host:8000/ws/volunteer'

describe('agentEventLine', () => {
  it('says who the agent connected as', () => {
    const welcome = { type: 'welcome', volunteerId: 'v-1' } as const
    expect(agentEventLine(welcome, { url })).toBe(`connected to ${url} as v-1`)
    expect(agentEventLine(welcome, { url, as: 'peer p-1' })).toBe(`connected to ${url} as peer p-1`)
  })

  it('tells a lost connection that will be retried, not one that is closing for good', () => {
    expect(
      agentEventLine({ type: 'disconnected', code: 1006, reason: '', retryInMs: 250 }, { url }),
    ).toBe('disconnected (1006); retrying in 250 ms')
    expect(
      agentEventLine(
        { type: 'disconnected', code: 1001, reason: 'going away', retryInMs: 500 },
        { url },
      ),
    ).toBe('disconnected (1001 going away); retrying in 500 ms')
    expect(
      agentEventLine({ type: 'disconnected', code: 1000, reason: '' }, { url }),
    ).toBeUndefined()
  })

  it("repeats the orchestrator's complaint", () => {
    expect(
      agentEventLine({ type: 'protocol-error', code: 'BAD_FRAME', message: 'nope' }, { url }),
    ).toBe('orchestrator says BAD_FRAME: nope')
  })

  it('prints failed jobs only when asked', () => {
    const failed = {
      type: 'job-finished',
      jobId: 'j-1',
      ok: false,
      durationMs: 3,
      error: 'boom',
    } as const
    expect(agentEventLine(failed, { url })).toBeUndefined()
    expect(agentEventLine(failed, { url, jobFailures: true })).toBe('job j-1 failed: boom')
    expect(
      agentEventLine({ ...failed, ok: true, error: undefined }, { url, jobFailures: true }),
    ).toBeUndefined()
  })
})
