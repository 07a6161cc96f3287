import { describe, expect, it } from 'vitest'
import { WarmCache, type WarmEntry } from './warm-cache'

function entry(size: number, released: string[], name: string): WarmEntry {
  return { bytes: () => size, release: () => released.push(name) }
}

describe('WarmCache', () => {
  it('evicts the least recently used entries until the rest fit', () => {
    const released: string[] = []
    const cache = new WarmCache<WarmEntry>()
    cache.put('a', entry(10, released, 'a'))
    cache.put('b', entry(10, released, 'b'))
    cache.put('c', entry(10, released, 'c'))
    cache.take('a')
    cache.dropTo(20)
    expect(released).toEqual(['b'])
    cache.dropTo(0)
    expect(released).toEqual(['b', 'c', 'a'])
    expect(cache.size).toBe(0)
  })

  it('releases an entry it replaces or discards, once', () => {
    const released: string[] = []
    const cache = new WarmCache<WarmEntry>()
    cache.put('k', entry(1, released, 'old'))
    cache.put('k', entry(1, released, 'new'))
    cache.discard('k')
    cache.discard('k')
    expect(released).toEqual(['old', 'new'])
    expect(cache.take('k')).toBeUndefined()
  })
})
