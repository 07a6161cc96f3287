import { describe, expect, it } from 'vitest'
import { ConnectionCap } from './connection-cap'

describe('ConnectionCap', () => {
  it('admits up to max connections per address and frees a slot on release', () => {
    const cap = new ConnectionCap(2, false)
    const first = cap.admit('203.0.113.1')
    const second = cap.admit('203.0.113.1')
    expect(first).toBeTypeOf('function')
    expect(second).toBeTypeOf('function')
    expect(cap.count('203.0.113.1')).toBe(2)
    expect(cap.admit('203.0.113.1')).toBeUndefined()
    expect(cap.admit('203.0.113.2')).toBeDefined()
    first?.()
    first?.() // a second release changes nothing
    expect(cap.count('203.0.113.1')).toBe(1)
    expect(cap.admit('203.0.113.1')).toBeDefined()
    expect(cap.admit('203.0.113.1')).toBeUndefined()
  })

  it('counts an IPv6 /64 as one address', () => {
    const cap = new ConnectionCap(1, false)
    expect(cap.admit('2001:db8::1')).toBeDefined()
    expect(cap.admit('2001:db8::2')).toBeUndefined()
  })

  it('leaves loopback alone unless asked, and is off at 0', () => {
    const lenient = new ConnectionCap(1, false)
    for (let i = 0; i < 5; i++) expect(lenient.admit('127.0.0.1')).toBeDefined()
    const strict = new ConnectionCap(1, true)
    expect(strict.admit('127.0.0.1')).toBeDefined()
    expect(strict.admit('::1')).toBeDefined() // another address
    expect(strict.admit('127.0.0.1')).toBeUndefined()
    expect(new ConnectionCap(0, true).admit('203.0.113.1')).toBeDefined()
  })
})
