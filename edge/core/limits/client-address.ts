/**
 * Client addresses as limits see them: loopback is recognised in every spelling, and an IPv6
 * client is keyed by its /64, since one host usually holds a whole /64 and could otherwise take a
 * fresh address (and a fresh bucket) per request.
 */

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.x.x). */
export function isLoopback(address: string): boolean {
  // The spellings Node and workerd actually report, answered without parsing (the hot path).
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return true
  const ip = unmapped(address.toLowerCase())
  return ip.startsWith('127.') || expandIpv6(ip)?.join(':') === '0:0:0:0:0:0:0:1'
}

/** The key limits count an address under: IPv4 as it is, IPv6 as its /64 prefix. */
export function addressKey(address: string): string {
  const ip = unmapped(address.toLowerCase())
  if (!ip.includes(':')) return ip
  const groups = expandIpv6(ip)
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : ip
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; zone ids (`fe80::1%eth0`) are dropped. */
function unmapped(ip: string): string {
  const bare = ip.split('%')[0] ?? ip
  const mapped = /^(?:0{0,4}:){0,5}ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare.replace(/^::/, '0:'))
  return mapped?.[1] ?? bare
}

/** The eight groups of an IPv6 address, without leading zeros; undefined when it is not one. */
function expandIpv6(ip: string): string[] | undefined {
  if (!ip.includes(':')) return undefined
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined
  return groups.map((g) => g.replace(/^0+(?=.)/, ''))
}
