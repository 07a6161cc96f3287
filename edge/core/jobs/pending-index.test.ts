import { describe, expect, it } from 'vitest'
import { PendingIndex } from './pending-index'

describe('PendingIndex', () => {
  it('yields the oldest job per runtime, across namespaces or within one', () => {
    const index = new PendingIndex()
    index.add({ id: 'b', seq: 2, runtime: 'lua', namespace: 'bob' })
    index.add({ id: 'a', seq: 1, runtime: 'lua', namespace: 'alice' })
    index.add({ id: 'c', seq: 3, runtime: 'js', namespace: 'alice' })
    expect(index.peek('lua')?.id).toBe('a')
    expect(index.peek('lua', 'bob')?.id).toBe('b')
    expect(index.peek('js', 'bob')).toBeUndefined()
    expect(index.size).toBe(3)
  })

  it('skips removed jobs and puts re-queued ones back in order', () => {
    const index = new PendingIndex()
    index.add({ id: 'a', seq: 1, runtime: 'js', namespace: 'n' })
    index.add({ id: 'b', seq: 2, runtime: 'js', namespace: 'n' })
    index.remove('a')
    expect(index.peek('js')?.id).toBe('b')
    index.add({ id: 'a', seq: 1, runtime: 'js', namespace: 'n' })
    expect(index.peek('js')?.id).toBe('a')
    expect(index.peek('js', 'n')?.id).toBe('a')
  })
})
