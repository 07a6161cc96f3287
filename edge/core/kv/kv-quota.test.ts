import { describe, expect, it } from 'vitest'
import { openSqlite } from '../../node/sqlite'
import { QuotaExceededError } from '../limits/quota-error'
import { MIGRATIONS } from '../store/migrations'
import { migrate } from '../store/sql'
import { KvStore } from './kv-store'

function store(maxKeys: number): KvStore {
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  return new KvStore(sql, () => {}, maxKeys)
}

describe('KvStore key quota', () => {
  it('refuses a new key past the quota, per namespace, and writes nothing', () => {
    const kv = store(2)
    kv.set('a', 'k1', '1', undefined)
    kv.set('a', 'k2', '2', undefined)
    expect(() => kv.set('a', 'k3', '3', undefined)).toThrow(QuotaExceededError)
    expect(kv.get('a', 'k3')).toBeUndefined()
    kv.set('b', 'k3', '3', undefined)
  })

  it('lets existing keys change, and frees a place when one is deleted', () => {
    const kv = store(2)
    kv.set('a', 'k1', '1', undefined)
    kv.set('a', 'k2', '2', undefined)
    kv.set('a', 'k1', '"changed"', undefined)
    expect(kv.delete('a', 'k2')).toBe(true)
    kv.set('a', 'k3', '3', undefined)
    expect(kv.list('a', '', 10, undefined).keys).toEqual(['k1', 'k3'])
  })

  it('sweeps expired keys to make room before refusing', () => {
    const kv = store(2)
    kv.set('a', 'k1', '1', 1, 0)
    kv.set('a', 'k2', '2', undefined, 0)
    expect(() => kv.set('a', 'k3', '3', undefined, 500)).toThrow(QuotaExceededError)
    kv.set('a', 'k3', '3', undefined, 2_000)
    expect(kv.list('a', '', 10, undefined, 2_000).keys).toEqual(['k2', 'k3'])
  })

  it('has no quota at 0', () => {
    const kv = store(0)
    for (let i = 0; i < 50; i++) kv.set('a', `k${i}`, '1', undefined)
    expect(kv.list('a', '', 100, undefined).keys).toHaveLength(50)
  })
})
