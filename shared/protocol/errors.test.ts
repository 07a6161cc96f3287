import { describe, expect, it } from 'vitest'
import { clip } from './errors'

describe('clip', () => {
  it('keeps short text and cuts long text to the limit, keeping both ends', () => {
    expect(clip('short', 10)).toBe('short')
    const cut = clip(`${'a'.repeat(500)}${'b'.repeat(500)}`, 100)
    expect(cut.length).toBe(100)
    expect(cut.startsWith('aaa')).toBe(true)
    expect(cut.endsWith('bbb')).toBe(true)
    expect(cut).toContain('characters cut')
  })
})
