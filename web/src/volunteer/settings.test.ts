import { describe, expect, it } from 'vitest'
import { parseNamespaces, sanitize } from './settings'

describe('volunteer settings', () => {
  it('keeps only valid stored values', () => {
    const settings = sanitize({
      threads: 999,
      paused: true,
      namespaces: ['alice', '../etc', 'bob'],
      background: false,
    })
    expect(settings.threads).toBeGreaterThanOrEqual(1)
    expect(settings).toMatchObject({
      paused: true,
      namespaces: ['alice', 'bob'],
      background: false,
    })
    expect(sanitize(undefined)).toMatchObject({ paused: false, namespaces: [], background: true })
  })

  it('reads a namespace list and names the first bad entry', () => {
    expect(parseNamespaces(' alice, bob alice ')).toEqual({
      ok: true,
      namespaces: ['alice', 'bob'],
    })
    expect(parseNamespaces('')).toEqual({ ok: true, namespaces: [] })
    expect(parseNamespaces('alice, no/slash')).toEqual({ ok: false, bad: 'no/slash' })
  })
})
