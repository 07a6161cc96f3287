import { describe, expect, it } from 'vitest'
import { NamespaceTally } from './namespace-tally'
import { QuotaExceededError } from './quota-error'
import { StorageQuota } from './storage-quota'

function streamOf(...chunks: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const size of chunks) controller.enqueue(new Uint8Array(size))
      controller.close()
    },
  })
}

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  const reader = body.getReader()
  let total = 0
  for (let read = await reader.read(); !read.done; read = await reader.read())
    total += read.value.byteLength
  return total
}

function quotaWith(stored: Record<string, number>, max: number) {
  const files = { ...stored }
  const quota = new StorageQuota(max, new NamespaceTally((ns) => files[ns] ?? 0))
  return { quota, files }
}

describe('StorageQuota', () => {
  it('refuses an upload whose declared size cannot fit, before reading it', () => {
    const { quota } = quotaWith({ alice: 90 }, 100)
    expect(() => quota.claim('alice', streamOf(20), 0, 20)).toThrow(QuotaExceededError)
    // Replacing a 15-byte file frees its bytes.
    expect(() => quota.claim('alice', streamOf(20), 15, 20)).not.toThrow()
  })

  it('cuts off a body that turns out larger than the room left', async () => {
    const { quota } = quotaWith({ alice: 90 }, 100)
    const claim = quota.claim('alice', streamOf(6, 6), 0)
    await expect(drain(claim.body)).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
      quota: 'storage_bytes',
    })
    claim.release()
    const retry = quota.claim('alice', streamOf(10), 0)
    expect(await drain(retry.body)).toBe(10)
  })

  it('counts parallel uploads together, and books a committed file', async () => {
    const { quota } = quotaWith({}, 100)
    const first = quota.claim('bob', streamOf(60), 0)
    expect(await drain(first.body)).toBe(60)
    const second = quota.claim('bob', streamOf(60), 0)
    await expect(drain(second.body)).rejects.toBeInstanceOf(QuotaExceededError)
    second.release()
    first.commit(60, 0)
    expect(quota.used('bob')).toBe(60)
    quota.removed('bob', 60)
    expect(quota.used('bob')).toBe(0)
    expect(quota.used('carol')).toBe(0)
  })
})
