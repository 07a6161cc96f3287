import { describe, expect, it } from 'vitest'
import { addressKey, isLoopback } from './client-address'

describe('client addresses', () => {
  it('recognises loopback in every spelling', () => {
    for (const address of ['127.0.0.1', '127.5.6.7', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopback(address), address).toBe(true)
    for (const address of ['10.0.0.1', '::2', '::ffff:10.0.0.1', '2001:db8::1', 'not an address'])
      expect(isLoopback(address), address).toBe(false)
  })

  it('keys IPv4 as it is, mapped IPv4 as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
  })
})
