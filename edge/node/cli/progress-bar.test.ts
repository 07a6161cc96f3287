import { afterEach, describe, expect, it, vi } from 'vitest'
import { bytes, progressBar } from './progress-bar'

/** What the bar wrote to stderr. */
function captureStderr(): () => string {
  let text = ''
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk)
    return true
  })
  return () => text
}

afterEach(() => vi.restoreAllMocks())

describe('progressBar', () => {
  it('redraws one line in place on a terminal, and ends it', () => {
    const written = captureStderr()
    const bar = progressBar('jobs', 4, String, true)
    bar.update(1)
    bar.update(4)
    bar.finish()
    expect(written()).toBe(
      `\rjobs [${'#'.repeat(8)}${'-'.repeat(22)}] 1/4 25%\rjobs [${'#'.repeat(30)}] 4/4 100%\n`,
    )
  })

  it('prints a plain line per tenth off a terminal, never the same one twice', () => {
    const written = captureStderr()
    const bar = progressBar('jobs', 100, String, false)
    for (const done of [0, 1, 5, 10, 11, 55, 100, 100]) bar.update(done)
    bar.finish()
    expect(written().split('\n').filter(Boolean)).toEqual([
      'jobs: 0/100 (0%)',
      'jobs: 10/100 (10%)',
      'jobs: 55/100 (50%)',
      'jobs: 100/100 (100%)',
    ])
  })
})

describe('bytes', () => {
  it('reads as people read sizes', () => {
    expect(bytes(512)).toBe('512 B')
    expect(bytes(3 << 20)).toBe('3.0 MiB')
  })
})
