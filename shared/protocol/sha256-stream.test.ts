import { describe, expect, it } from 'vitest'
import { sha256Hex } from './hash'
import { Sha256, sha256StreamHex } from './sha256-stream'

/** Deterministic bytes that are not all alike, so block boundaries matter. */
function bytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = 2463534242
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

describe('Sha256', () => {
  it('matches the FIPS test vector for "abc"', () => {
    expect(new Sha256().update(new TextEncoder().encode('abc')).hex()).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 1_000_000])(
    'agrees with crypto.subtle on %i bytes fed at once',
    async (length) => {
      const data = bytes(length)
      expect(new Sha256().update(data).hex()).toBe(await sha256Hex(data))
    },
  )

  it.each([1, 7, 55, 56, 63, 64, 65, 1000])(
    'agrees with crypto.subtle when 1200 bytes arrive in pieces of %i',
    async (piece) => {
      const data = bytes(1200)
      const hash = new Sha256()
      for (let i = 0; i < data.length; i += piece) hash.update(data.subarray(i, i + piece))
      expect(hash.hex()).toBe(await sha256Hex(data))
    },
  )

  it('gives the same result for every split point of a two-block message', async () => {
    const data = bytes(130)
    const expected = await sha256Hex(data)
    for (let split = 0; split <= data.length; split++) {
      const hash = new Sha256().update(data.subarray(0, split)).update(data.subarray(split))
      expect(hash.hex()).toBe(expected)
    }
  })

  it('refuses more input once the digest is taken', () => {
    const hash = new Sha256()
    hash.hex()
    expect(() => hash.update(new Uint8Array(1))).toThrow(/after the digest/)
  })

  it('hashes a stream', async () => {
    const data = bytes(100_000)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < data.length; i += 4096) controller.enqueue(data.slice(i, i + 4096))
        controller.close()
      },
    })
    expect(await sha256StreamHex(stream)).toBe(await sha256Hex(data))
  })
})
