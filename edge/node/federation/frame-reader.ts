/**
 * Reads frames off a libp2p stream in bounded memory. The stream's own async iterator buffers
 * without limit when its reader is slow, so this one pauses the stream instead (yamux then stops
 * granting the sender window) and resumes once the reader has caught up. Bad bytes end the stream.
 */
import * as lp from 'it-length-prefixed'
import type { Libp2pStream, StreamChunk } from './libp2p-types'

/** Bytes received but not yet taken by the decoder before the sender is paused. */
const HIGH_WATER = 256 * 1024

/**
 * A stream's frames, each a parsed JSON value. The iterable ends when the peer closes its side or
 * the stream closes; a frame over `maxFrameBytes`, bytes that are not UTF-8 JSON, or a frame cut
 * short abort the stream, call `onBadFrame` and end it too (no iteration ever throws, so a
 * caller's loop cannot crash the node). Listening starts now: nothing sent before the first
 * `next()` is lost. One reader per stream.
 */
export function readFrames(
  stream: Libp2pStream,
  maxFrameBytes: number,
  onBadFrame: (reason: string) => void,
): AsyncIterable<unknown> {
  const chunks = chunkQueue(stream)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  async function* frames(): AsyncGenerator<unknown> {
    let current = 'a frame'
    try {
      for await (const data of lp.decode(chunks.drain(), { maxDataLength: maxFrameBytes })) {
        current = 'a frame that is not UTF-8 JSON'
        const value: unknown = JSON.parse(decoder.decode(data.subarray()))
        current = 'a frame'
        yield value
      }
    } catch (err) {
      const reason = `${current} was refused: ${err instanceof Error ? err.message : String(err)}`
      stream.abort(new Error(reason))
      onBadFrame(reason)
    }
  }
  return frames()
}

/** The stream's chunks as they arrive, pausing the stream while too many wait. */
function chunkQueue(stream: Libp2pStream): { drain(): AsyncGenerator<StreamChunk> } {
  const queue: StreamChunk[] = []
  let queued = 0
  let ended = false
  let wake: (() => void) | undefined
  const notify = () => {
    wake?.()
    wake = undefined
  }
  // pause/resume throw once the read side is closing: by then there is nothing left to hold back.
  const flow = (pause: boolean) => {
    try {
      if (pause) stream.pause()
      else stream.resume()
    } catch {
      /* closing */
    }
  }
  stream.addEventListener('message', (event) => {
    queue.push(event.data)
    queued += event.data.byteLength
    if (queued > HIGH_WATER && stream.readStatus === 'readable') flow(true)
    notify()
  })
  const end = () => {
    ended = true
    notify()
  }
  // 'end' comes once buffered data has been delivered; 'close' always comes, reset or not.
  stream.addEventListener('end', end)
  stream.addEventListener('close', end)
  // Both may have passed already: a peer can reset or finish a stream while libp2p is still
  // handing it over (between negotiation and `dialProtocol` resolving, say).
  if (stream.readableEnded || ['closed', 'aborted', 'reset'].includes(stream.status)) ended = true
  return {
    async *drain() {
      for (;;) {
        const chunk = queue.shift()
        if (chunk) {
          queued -= chunk.byteLength
          if (queued <= HIGH_WATER / 2 && stream.readStatus === 'paused') flow(false)
          yield chunk
        } else if (ended) {
          return
        } else {
          await new Promise<void>((resolve) => (wake = resolve))
        }
      }
    },
  }
}
