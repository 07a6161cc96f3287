import { describe, expect, it } from 'vitest'
import { UntrustedDbField } from '../jobs/executor-policy'
import { dbRefusal, FULL_DB, NO_DB } from './db-access'

describe('dbRefusal', () => {
  it('lets trusted executors do anything and untrusted ones nothing by default', () => {
    expect(dbRefusal(FULL_DB, { op: 'db.get', key: 'k' })).toBeUndefined()
    expect(dbRefusal(FULL_DB, { op: 'db.list' })).toBeUndefined()
    for (const call of [
      { op: 'db.get', key: 'k' },
      { op: 'db.set', key: 'k', value: 1 },
      { op: 'db.delete', key: 'k' },
      { op: 'db.list' },
    ] as const)
      expect(dbRefusal(NO_DB, call)).toMatch(/untrusted_db/)
  })

  it('checks reads and writes against their own prefixes, lists by the prefix asked for', () => {
    const access = { read: ['pub-'], write: ['out-'] }
    expect(dbRefusal(access, { op: 'db.get', key: 'pub-1' })).toBeUndefined()
    expect(dbRefusal(access, { op: 'db.get', key: 'out-1' })).toMatch(/read 'out-1'/)
    expect(dbRefusal(access, { op: 'db.set', key: 'out-1', value: 1 })).toBeUndefined()
    expect(dbRefusal(access, { op: 'db.delete', key: 'pub-1' })).toMatch(/write 'pub-1'/)
    expect(dbRefusal(access, { op: 'db.list', prefix: 'pub-x' })).toBeUndefined()
    expect(dbRefusal(access, { op: 'db.list', prefix: 'pu' })).toMatch(/list/)
    expect(dbRefusal(access, { op: 'db.list' })).toMatch(/list/)
  })
})

describe('untrusted_db', () => {
  it('takes the shorthands and prefix lists, and refuses anything else', () => {
    expect(UntrustedDbField.parse('none')).toEqual({ read: [], write: [] })
    expect(UntrustedDbField.parse('read')).toEqual({ read: [''], write: [] })
    expect(UntrustedDbField.parse('read_write')).toEqual({ read: [''], write: [''] })
    expect(UntrustedDbField.parse({ write: ['r-'] })).toEqual({ read: [], write: ['r-'] })
    for (const bad of ['all', 7, { read: 'x' }, { read: [], delete: [] }, null])
      expect(UntrustedDbField.safeParse(bad).success).toBe(false)
  })
})
