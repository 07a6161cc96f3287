/** A libp2p stream as the core's `MeshStream`: JSON frames out, bounded JSON frames in. */
import type { MeshStream } from '../../core/federation/mesh'
import type { Logger } from '../../core/observability/logger'
import { encodeFrame } from './frame-encoding'
import { readFrames } from './frame-reader'
import type { Libp2pStream } from './libp2p-types'

/**
 * Bytes `send` may queue for a peer that does not read before the stream is given up: `send`
 * cannot wait (the seam makes it synchronous), so a peer that stops reading ends its stream
 * rather than growing this node's memory.
 */
function maxQueuedBytes(maxFrameBytes: number): number {
  return Math.max(4 * maxFrameBytes, 4 * 1024 * 1024)
}

/** Queued bytes under which a waiting sender goes on (`drained`). */
const DRAINED_BYTES = 1024 * 1024
/** How often `drained` looks again while the transport takes what was queued. */
const DRAIN_POLL_MS = 5

/** Wraps `stream`, opened with or by `peer`, whose frames are capped at `maxFrameBytes`. */
export function meshStream(
  stream: Libp2pStream,
  peer: string,
  maxFrameBytes: number,
  logger?: Logger,
): MeshStream {
  const abort = (reason: string) => stream.abort(new Error(reason))
  const frames = readFrames(stream, maxFrameBytes, (reason) =>
    logger?.warn('federation: a peer sent a bad frame', { peer, reason }),
  )
  const maxQueued = maxQueuedBytes(maxFrameBytes)
  return {
    peer,
    send(frame) {
      if (stream.writeStatus !== 'writable') return false
      let bytes
      try {
        bytes = encodeFrame(frame, maxFrameBytes)
      } catch (err) {
        // The peer would refuse it anyway; the conversation cannot go on without this frame.
        abort(`could not send a frame: ${(err as Error).message}`)
        logger?.warn('federation: an unsendable frame ended a stream', { peer, error: err })
        return false
      }
      if (stream.writeBufferLength + bytes.byteLength > maxQueued) {
        abort(`the peer read none of the last ${stream.writeBufferLength} bytes`)
        return false
      }
      try {
        stream.send(bytes)
        return true
      } catch {
        return false
      }
    },
    async drained() {
      while (stream.writeStatus === 'writable' && stream.writeBufferLength > DRAINED_BYTES) {
        if (stream.writableNeedsDrain) await stream.onDrain().catch(() => undefined)
        else await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
      }
      return stream.writeStatus === 'writable'
    },
    frames: () => frames,
    close() {
      stream.close().catch((err: unknown) => abort(`close failed: ${String(err)}`))
    },
    abort,
  }
}
