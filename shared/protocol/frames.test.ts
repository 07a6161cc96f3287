import { describe, expect, it } from 'vitest'
import {
  HEARTBEAT_ACK_FRAME,
  HEARTBEAT_FRAME,
  parseOrchestratorFrame,
  parseVolunteerFrame,
} from './frames'

describe('protocol', () => {
  it('parses a hello with capabilities', () => {
    const parsed = parseVolunteerFrame(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agent: { kind: 'browser' },
        capabilities: { runtimes: ['js'], concurrency: 2, namespaces: ['alice'] },
      }),
    )
    expect(parsed).toMatchObject({
      ok: true,
      frame: { type: 'hello', capabilities: { concurrency: 2 } },
    })
  })

  it('names what is wrong with a frame', () => {
    expect(parseVolunteerFrame('{')).toEqual({ ok: false, error: 'frame is not JSON text' })
    expect(parseVolunteerFrame('{"type":"result","job_id":"x","result":1,"output":""}')).toEqual({
      ok: false,
      error: 'attempt is required',
    })
    expect(parseVolunteerFrame('{"type":"heartbeat","extra":1}')).toEqual({
      ok: false,
      error: "unknown field 'extra'",
    })
    const tooMany = parseVolunteerFrame(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agent: { kind: 'node' },
        capabilities: { runtimes: ['js'], concurrency: 1000 },
      }),
    )
    expect(tooMany.ok).toBe(false)
  })

  it('survives frames nested beyond reason', () => {
    const deep =
      '{"type":"result","job_id":"x","attempt":1,"output":"","result":' +
      '['.repeat(100_000) +
      ']'.repeat(100_000) +
      '}'
    expect(parseVolunteerFrame(deep).ok).toBe(false)
  })

  it('keeps heartbeats as fixed strings both sides understand', () => {
    expect(parseVolunteerFrame(HEARTBEAT_FRAME)).toEqual({ ok: true, frame: { type: 'heartbeat' } })
    expect(parseOrchestratorFrame(HEARTBEAT_ACK_FRAME)).toEqual({
      ok: true,
      frame: { type: 'heartbeat_ack' },
    })
  })
})
