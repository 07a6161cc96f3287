import { describe, expect, it } from 'vitest'
import { ReputationStore } from '../store/reputation-store'
import { VolunteerSession } from '../volunteers/volunteer-session'
import { Reputation, reputationKey, volunteerKey } from './reputation'
import { memoryStore } from './test-helpers'

const session = (id: string) => new VolunteerSession(id, { send: () => {}, close: () => {} }, 0)

describe('Reputation', () => {
  it('keys a runner by peer id, else by its address where addresses count, else by connection', () => {
    const runner = session('s1')
    runner.peer = { id: 'r-1', native: false, system: {} as never }
    runner.addressKey = '203.0.113.7'
    const tab = session('s2')
    tab.addressKey = '2001:db8:1:2::/64'
    const local = session('s3')
    expect([runner, tab, local].map(reputationKey)).toEqual([
      'peer:r-1',
      'addr:2001:db8:1:2::/64',
      's3',
    ])
    // Distinctness is unchanged: two tabs behind one address are two volunteers for copies.
    expect([runner, tab, local].map(volunteerKey)).toEqual(['peer:r-1', 's2', 's3'])
  })

  it('keeps lasting keys in SQL, so a new instance on the same database still distrusts a liar', () => {
    const { sql } = memoryStore()
    const before = new Reputation(new ReputationStore(sql))
    before.note('peer:liar', false)
    before.note('addr:198.51.100.4', true)
    before.note('addr:198.51.100.4', false)
    before.note('addr:198.51.100.4', true)
    const after = new Reputation(new ReputationStore(sql))
    expect(after.of('peer:liar')).toMatchObject({ agreed: 0, disagreed: 1, trusted: false })
    expect(after.of('addr:198.51.100.4')).toMatchObject({ agreed: 2, disagreed: 1, trusted: true })
    expect(after.trusted('peer:newcomer')).toBe(true)
  })

  it('keeps connection-keyed standing in memory only, and forgets it when the volunteer leaves', () => {
    const { sql } = memoryStore()
    const reputation = new Reputation(new ReputationStore(sql))
    reputation.note('s9', false)
    expect(reputation.trusted('s9')).toBe(false)
    expect(sql.get('SELECT COUNT(*) AS n FROM volunteer_reputation')).toEqual({ n: 0 })
    reputation.forget(session('s9'))
    expect(reputation.of('s9')).toMatchObject({ agreed: 0, disagreed: 0, trusted: true })
  })

  it('remembers a bounded number of keys and reads the others back from SQL', () => {
    const { sql } = memoryStore()
    const reputation = new Reputation(new ReputationStore(sql), 2)
    for (let i = 0; i < 50; i++) reputation.note(`addr:10.0.0.${i}`, i % 2 === 0)
    reputation.note('addr:10.0.0.0', true)
    expect(reputation.of('addr:10.0.0.0')).toMatchObject({ agreed: 2, disagreed: 0 })
    expect(reputation.of('addr:10.0.0.1')).toMatchObject({ agreed: 0, disagreed: 1 })
  })
})
