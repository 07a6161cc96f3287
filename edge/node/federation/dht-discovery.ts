/**
 * Finding the rest of the mesh through the DHT. libp2p reports peers it learns of (bootstrap list,
 * DHT answers) but no longer dials them by itself, so this does. The DHT asks for the peers
 * closest to its own id once at start, then every 5 minutes; while this node knows few peers it
 * asks every few seconds, so a lost or late peer is found again in seconds, not minutes.
 */
import type { Logger } from '../../core/observability/logger'
import type { Libp2pNode } from './libp2p-node'
import type { Libp2pPeerId } from './libp2p-types'

/** Below this many connected peers the node keeps looking. */
const FEW_PEERS = 8
const LOOK_EVERY_MS = 3_000
const QUERY_TIMEOUT_MS = 10_000

/** Stops dialing and looking (the node's own DHT stops with the node). */
export interface Discovery {
  stop(): void
}

/** Starts dialing discovered peers (never those `refuse` names) and looking for more. */
export function startDhtDiscovery(
  node: Libp2pNode,
  refuse: (peer: string) => boolean,
  logger?: Logger,
): Discovery {
  const self = node.peerId.toString()
  const dialing = new Set<string>()
  const dial = (peer: Libp2pPeerId) => {
    const id = peer.toString()
    if (id === self || refuse(id) || dialing.has(id)) return
    if (node.getConnections(peer).length > 0) return
    dialing.add(id)
    node
      .dial(peer, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })
      .catch((err: unknown) =>
        logger?.debug('federation: a discovered peer could not be dialed', {
          peer: id,
          error: err,
        }),
      )
      .finally(() => dialing.delete(id))
  }
  const onDiscovery = ({ detail }: CustomEvent<{ id: Libp2pPeerId }>) => dial(detail.id)
  node.addEventListener('peer:discovery', onDiscovery)

  let looking = false
  const look = async () => {
    if (looking || node.getPeers().length >= FEW_PEERS || node.getPeers().length === 0) return
    looking = true
    try {
      const signal = AbortSignal.timeout(QUERY_TIMEOUT_MS)
      for await (const peer of node.peerRouting.getClosestPeers(node.peerId.toMultihash().bytes, {
        signal,
      })) {
        dial(peer.id)
      }
    } catch (err) {
      logger?.debug('federation: a DHT lookup failed', { error: err })
    } finally {
      looking = false
    }
  }
  const timer = setInterval(() => void look(), LOOK_EVERY_MS)
  timer.unref()

  return {
    stop() {
      clearInterval(timer)
      node.removeEventListener('peer:discovery', onDiscovery)
    },
  }
}
