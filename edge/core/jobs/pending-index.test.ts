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

  it('keeps jobs that need a trusted executor in a lane only trusted volunteers look at', () => {
    const index = new PendingIndex()
    index.add({ id: 't', seq: 1, runtime: 'js', namespace: 'n', executor: 'trusted' })
    index.add({ id: 'a', seq: 2, runtime: 'js', namespace: 'n' })
    expect(index.peek('js')?.id).toBe('a')
    expect(index.peek('js', 'n', 'trusted')?.id).toBe('t')
    const caps = { runtimes: ['js' as const], concurrency: 1 }
    expect(index.oldestFor(caps, false)?.id).toBe('a')
    expect(index.oldestFor(caps, true)?.id).toBe('t')
    expect(index.oldestFor({ ...caps, namespaces: ['other'] }, true)).toBeUndefined()
  })

  it('keeps work that declares secrets for sites that may have them, trusted or not', () => {
    const index = new PendingIndex()
    index.add({ id: 's', seq: 1, runtime: 'js', namespace: 'n', secrets: true, home: true })
    const caps = { runtimes: ['js' as const], concurrency: 1 }
    expect(index.oldestFor(caps, false)).toBeUndefined()
    expect(index.oldestFor(caps, true)).toBeUndefined()
    expect(index.oldestFor(caps, true, true, true)).toBeUndefined()
    expect(index.oldestFor(caps, true, false, true)?.id).toBe('s')
  })

  it('keeps work that must stay here (calls, work a peer forwarded) from peer orchestrators', () => {
    const index = new PendingIndex()
    index.add({ id: 'forwarded', seq: 1, runtime: 'js', namespace: 'p2p-x', home: true })
    index.add({ id: 'ours', seq: 2, runtime: 'js', namespace: 'alice' })
    const caps = { runtimes: ['js' as const], concurrency: 1 }
    expect(index.oldestFor(caps, false)?.id).toBe('forwarded')
    expect(index.oldestFor(caps, false, true)?.id).toBe('ours')
    index.remove('ours')
    expect(index.oldestFor(caps, false, true)).toBeUndefined()
  })
})
