/**
 * `/zerverless/stats/1.0.0`: each announcement is one frame on a short stream of its own, per
 * connected peer. A stream per message costs a yamux open and a protocol negotiation every few
 * seconds per peer (nothing, for a mesh of a few orchestrators) and needs no state that must be
 * rebuilt when a connection drops and comes back, unlike one long-lived stream per peer.
 */
import type { Logger } from '../../core/observability/logger'
import { encodeFrame } from './frame-encoding'
import { readFrames } from './frame-reader'
import { handlerList } from './handler-list'
import type { Libp2pNode } from './libp2p-node'

const STATS_PROTOCOL = '/zerverless/stats/1.0.0'
/** Load and capabilities fit many times over. */
const MAX_ANNOUNCEMENT_BYTES = 64 * 1024
/** How long a stream may take to deliver its one announcement either way. */
const ANNOUNCEMENT_TIMEOUT_MS = 10_000

/** Both ends of the stats protocol, as the `Mesh` exposes them. */
export interface Announcements {
  announce(value: unknown): void
  onAnnouncement(handler: (peer: string, value: unknown) => void): void
}

/** Registers the protocol on `node` and returns both ends of it. */
export async function announcements(node: Libp2pNode, logger?: Logger): Promise<Announcements> {
  const handlers = handlerList<[string, unknown]>('announcement', logger)
  await node.handle(STATS_PROTOCOL, async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const timer = setTimeout(
      () => stream.abort(new Error('no announcement in time')),
      ANNOUNCEMENT_TIMEOUT_MS,
    )
    const frames = readFrames(stream, MAX_ANNOUNCEMENT_BYTES, (reason) =>
      logger?.warn('federation: a peer sent a bad announcement', { peer, reason }),
    )
    try {
      for await (const value of frames) {
        handlers.call(peer, value)
        break
      }
    } finally {
      clearTimeout(timer)
      await stream.close().catch(() => undefined)
    }
  })

  // A peer still taking the last announcement is skipped: the next one is seconds away.
  const sending = new Set<string>()
  const sendTo = async (peer: ReturnType<Libp2pNode['getPeers']>[number], bytes: Uint8Array) => {
    const signal = AbortSignal.timeout(ANNOUNCEMENT_TIMEOUT_MS)
    const stream = await node.dialProtocol(peer, STATS_PROTOCOL, { signal })
    stream.send(bytes)
    await stream.close({ signal })
  }

  return {
    announce(value) {
      let bytes: Uint8Array
      try {
        bytes = encodeFrame(value, MAX_ANNOUNCEMENT_BYTES).subarray()
      } catch (err) {
        logger?.error('federation: an announcement could not be sent', { error: err })
        return
      }
      for (const peer of node.getPeers()) {
        const id = peer.toString()
        if (sending.has(id)) continue
        sending.add(id)
        sendTo(peer, bytes)
          .catch((err: unknown) =>
            logger?.debug('federation: an announcement did not reach a peer', {
              peer: id,
              error: err,
            }),
          )
          .finally(() => sending.delete(id))
      }
    },
    onAnnouncement: handlers.add,
  }
}
