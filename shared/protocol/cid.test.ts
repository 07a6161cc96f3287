import { describe, expect, it } from 'vitest'
import { CID_PATTERN, cidOf } from './cid'

describe('cidOf', () => {
  it('gives the IPFS CIDv1 (raw, sha2-256) of the bytes', async () => {
    // `ipfs add --cid-version 1 --raw-leaves` of "hello world" gives this id.
    const cid = await cidOf(new TextEncoder().encode('hello world'))
    expect(cid).toBe('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')
    expect(cid).toMatch(CID_PATTERN)
  })
})
