/** A frame on the wire: one JSON value, UTF-8, behind a varint length (it-length-prefixed). */
import * as lp from 'it-length-prefixed'
import type { StreamChunk } from './libp2p-types'

const encoder = new TextEncoder()

/**
 * The bytes of one frame; throws when the value has no JSON form or its JSON is over `maxBytes`
 * (the peer would refuse it: better to say so here).
 */
export function encodeFrame(value: unknown, maxBytes: number): StreamChunk {
  const json = JSON.stringify(value)
  if (json === undefined) throw new Error('frame has no JSON form')
  const bytes = encoder.encode(json)
  if (bytes.byteLength > maxBytes) {
    throw new Error(`frame is ${bytes.byteLength} bytes; the cap is ${maxBytes}`)
  }
  return lp.encode.single(bytes)
}
