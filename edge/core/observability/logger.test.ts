import { describe, expect, it } from 'vitest'
import { isLogThreshold, jsonLogger, type LogLevel } from './logger'

function capture(threshold: Parameters<typeof jsonLogger>[1]) {
  const lines: { line: string; level: LogLevel }[] = []
  const logger = jsonLogger(
    (line, level) => lines.push({ line, level }),
    threshold,
    () => 0,
  )
  return { logger, lines }
}

describe('jsonLogger', () => {
  it('writes one JSON object per line: time, level, msg, then the fields', () => {
    const { logger, lines } = capture('info')
    logger.info('request', { request_id: 'abc', status: 200 })
    expect(lines).toEqual([
      {
        line: '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"request","request_id":"abc","status":200}',
        level: 'info',
      },
    ])
  })

  it('drops lines below the threshold, and everything when silent', () => {
    const { logger, lines } = capture('warn')
    logger.debug('a')
    logger.info('b')
    logger.warn('c')
    logger.error('d')
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error'])
    expect(logger.enabled('info')).toBe(false)
    expect(logger.enabled('error')).toBe(true)
    const silent = capture('silent')
    silent.logger.error('nothing')
    expect(silent.lines).toEqual([])
  })

  it('logs an error with its name, message and stack', () => {
    const { logger, lines } = capture('debug')
    logger.error('unhandled error', { error: new TypeError('boom') })
    const record = JSON.parse(lines[0]!.line)
    expect(record.error).toMatchObject({ name: 'TypeError', message: 'boom' })
    expect(record.error.stack).toContain('boom')
  })

  it('still writes a line whose fields cannot be serialized', () => {
    const { logger, lines } = capture('debug')
    const loop: Record<string, unknown> = {}
    loop.self = loop
    logger.warn('odd', { loop, big: 1n })
    expect(JSON.parse(lines[0]!.line)).toMatchObject({ msg: 'odd', fields: 'unserializable' })
  })

  it('knows the level names the CLI accepts', () => {
    for (const level of ['debug', 'info', 'warn', 'error', 'silent'])
      expect(isLogThreshold(level)).toBe(true)
    expect(isLogThreshold('verbose')).toBe(false)
    expect(isLogThreshold('toString')).toBe(false)
  })
})
