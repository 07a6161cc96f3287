/**
 * Content identifiers for WebAssembly modules: CIDv1, raw codec, sha2-256, base32 ("bafkrei…"),
 * the same ids IPFS gives the same bytes, so modules can later come from a content network.
 */
const RAW_CODEC = 0x55
const SHA2_256 = 0x12
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

export const CID_PATTERN = /^b[a-z2-7]{58}$/

export async function cidOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>),
  )
  return cidFromDigest(digest)
}

function cidFromDigest(digest: Uint8Array): string {
  const cid = new Uint8Array(4 + digest.length)
  cid.set([0x01, RAW_CODEC, SHA2_256, digest.length])
  cid.set(digest, 4)
  return `b${base32(cid)}`
}

/** RFC 4648 base32, lower case, no padding (multibase "b"). */
function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}
