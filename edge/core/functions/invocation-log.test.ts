import { describe, expect, it } from 'vitest'
import { InvocationLog, MAX_ERROR_MESSAGE, type KeptCall } from './invocation-log'

const call = (status: number, extra: Partial<KeptCall> = {}): KeptCall => ({
  at: 0,
  status,
  duration_ms: 1,
  version: 1,
  ...extra,
})

describe('InvocationLog', () => {
  it('keeps the last calls of each function, newest first, oldest dropped first', () => {
    const log = new InvocationLog(3)
    for (const status of [200, 201, 202, 203, 204]) log.record('alice', '/f', call(status))
    log.record('bob', '/f', call(500))
    expect(log.recent('alice', '/f', 10).map((c) => c.status)).toEqual([204, 203, 202])
    expect(log.recent('alice', '/f', 2).map((c) => c.status)).toEqual([204, 203])
    expect(log.recent('bob', '/f', 10)).toEqual([
      { time: '1970-01-01T00:00:00.000Z', status: 500, duration_ms: 1, version: 1 },
    ])
    expect(log.recent('carol', '/f', 10)).toEqual([])
  })

  it('reads in order before the ring is full, and after it wrapped many times', () => {
    const log = new InvocationLog(4)
    log.record('a', '/f', call(200))
    log.record('a', '/f', call(201))
    expect(log.recent('a', '/f', 10).map((c) => c.status)).toEqual([201, 200])
    for (let i = 0; i < 11; i++) log.record('a', '/f', call(300 + i))
    expect(log.recent('a', '/f', 10).map((c) => c.status)).toEqual([310, 309, 308, 307])
  })

  it('cuts a long error message, whatever the guest threw', () => {
    const log = new InvocationLog()
    const message = 'x'.repeat(1024 * 1024)
    log.record('a', '/f', call(502, { error: { code: 'FUNCTION_ERROR', message } }))
    const [kept] = log.recent('a', '/f', 1)
    expect(kept?.error?.message).toHaveLength(MAX_ERROR_MESSAGE + 1)
  })

  it('forgets a cleared function', () => {
    const log = new InvocationLog()
    log.record('a', '/f', call(200))
    log.clear('a', '/f')
    expect(log.recent('a', '/f', 10)).toEqual([])
  })
})
