import { describe, expect, it } from 'vitest'
import { BACKOFF, DeadlineBackoff, holdMs } from './deadline-backoff'
import { VolunteerSession } from './volunteer-session'

let ids = 0
/** A session as the hub makes it: `address` is the key its address counts under, if any. */
function session(address?: string, peer?: string): VolunteerSession {
  const s = new VolunteerSession(`s${ids++}`, { send: () => {}, close: () => {} }, 0)
  s.addressKey = address
  if (peer) s.peer = { id: peer, native: false, system: {} as never }
  return s
}

describe('deadline back-off', () => {
  it('holds 1 s after a first strike, doubling with each strike up to 5 minutes', () => {
    expect([0, 1, 2, 3, 4].map((n) => holdMs(n))).toEqual([0, 1000, 2000, 4000, 8000])
    expect(holdMs(9)).toBe(256_000)
    expect(holdMs(10)).toBe(BACKOFF.maxMs)
    expect(holdMs(1000)).toBe(BACKOFF.maxMs)
  })

  it('costs an honest volunteer one second for one miss, and forgives it at its next report', () => {
    const book = new DeadlineBackoff()
    const v = session('203.0.113.7')
    expect(book.miss(v, 10_000)).toBe(11_000)
    expect(book.view(v, 10_500)).toEqual({
      strikes: 1,
      held_until: new Date(11_000).toISOString(),
    })
    book.forgive(v, 12_000)
    expect(v.strikes).toBe(0)
    // Nothing is left against its address either.
    expect(book.inherit(session('203.0.113.7'), 12_000)).toBeUndefined()
    expect(book.size).toBe(0)
  })

  it('counts misses while held as one incident (a frozen volunteer holding ten jobs)', () => {
    const book = new DeadlineBackoff()
    const v = session('203.0.113.7')
    for (let i = 0; i < 10; i++) book.miss(v, 10_000 + i)
    expect(v).toMatchObject({ strikes: 1, heldUntil: 11_000 })
    // After the hold, the next miss is a new incident, twice as long.
    expect(book.miss(v, 20_000)).toBe(22_000)
    expect(v.strikes).toBe(2)
  })

  it('makes a newcomer from the same address wait out the hold, with the strikes it earned', () => {
    const book = new DeadlineBackoff()
    const hoarder = session('198.51.100.4')
    book.miss(hoarder, 0)
    book.miss(hoarder, 5_000)
    const again = session('198.51.100.4')
    expect(book.inherit(again, 5_500)).toBe(7_000)
    expect(again.strikes).toBe(2)
    // Its next miss escalates from there.
    expect(book.miss(again, 10_000)).toBe(14_000)
    // Another address starts clean.
    expect(book.inherit(session('198.51.100.5'), 10_000)).toBeUndefined()
  })

  it('does not hold an honest volunteer already connected from the address a hoarder uses', () => {
    const book = new DeadlineBackoff()
    const honest = session('192.0.2.1')
    book.inherit(honest, 0)
    book.miss(session('192.0.2.1'), 100)
    expect(honest).toMatchObject({ strikes: 0, heldUntil: undefined })
    // An on-time report of the honest one does not wash the hoarder's strikes off the address.
    book.forgive(honest, 200)
    expect(book.inherit(session('192.0.2.1'), 300)).toBe(1_100)
  })

  it('follows a runner by its peer id from any address', () => {
    const book = new DeadlineBackoff()
    book.miss(session('192.0.2.1', 'runner-1'), 0)
    const moved = session('192.0.2.99', 'runner-1')
    expect(book.inherit(moved, 500)).toBe(1_000)
    expect(moved.strikes).toBe(1)
  })

  it('keeps nothing for a volunteer with no lasting key (loopback): reconnecting starts afresh', () => {
    const book = new DeadlineBackoff()
    const local = session()
    book.miss(local, 0)
    expect(local.strikes).toBe(1)
    expect(book.size).toBe(0)
    expect(book.inherit(session(), 10)).toBeUndefined()
  })

  it('stays bounded under a flood of addresses and forgets a key an hour after its last miss', () => {
    const book = new DeadlineBackoff({ ...BACKOFF, maxKeys: 100 })
    for (let i = 0; i < 10_000; i++) book.miss(session(`10.0.${i >> 8}.${i & 255}`), i)
    expect(book.size).toBe(100)
    // The most recent are kept, the oldest went first.
    expect(book.inherit(session('10.0.39.15'), 10_000)).toBeDefined()
    expect(book.inherit(session('10.0.0.1'), 10_000)).toBeUndefined()
    const late = 9_999 + BACKOFF.forgetMs + 1
    expect(book.inherit(session('10.0.39.15'), late)).toBeUndefined()
  })
})
