import { describe, expect, it } from 'vitest'
import { FunctionLogs, MAX_LOG_LINE } from './function-logs'

describe('FunctionLogs', () => {
  it('keeps the last lines of each function, oldest dropped first', () => {
    const logs = new FunctionLogs(3)
    logs.append('alice', '/hello', 'one\ntwo\n')
    logs.append('alice', '/hello', 'three\nfour\n')
    logs.append('bob', '/hello', 'elsewhere')
    expect(logs.tail('alice', '/hello', 10).map((l) => l.line)).toEqual(['two', 'three', 'four'])
  })

  it('cuts a line past the limit and says how much was cut, however long it is', () => {
    const logs = new FunctionLogs()
    logs.append('alice', '/hello', `short\n${'l'.repeat(5 * 1024 * 1024)}\n`)
    const [first, second] = logs.tail('alice', '/hello', 10).map((l) => l.line)
    expect(first).toBe('short')
    expect(second?.startsWith('l'.repeat(MAX_LOG_LINE))).toBe(true)
    expect(
      second?.endsWith(`… [line cut: ${5 * 1024 * 1024 - MAX_LOG_LINE} characters more]`),
    ).toBe(true)
  })

  it('bounds one append of many lines by the lines it keeps', () => {
    const logs = new FunctionLogs(2)
    logs.append('alice', '/hello', Array.from({ length: 100_000 }, (_, i) => `${i}`).join('\n'))
    expect(logs.tail('alice', '/hello', 10).map((l) => l.line)).toEqual(['99998', '99999'])
  })
})
