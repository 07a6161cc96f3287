/**
 * Orchestrators stay connected: a peer that speaks the job protocol is tagged keep-alive, so
 * libp2p redials it when its connection drops, and a pruner (past its connection limit) closes
 * it last. Banning a peer forgets it, tag included.
 */
import type { Logger } from '../../core/observability/logger'
import type { Libp2pNode } from './libp2p-node'

// libp2p's reconnect queue redials peers whose tags start with `keep-alive`.
const KEEP_ALIVE_TAG = 'keep-alive-zerverless'

/** Tags every peer `node` identifies as speaking `protocol`. */
export function keepMeshPeers(node: Libp2pNode, protocol: string, logger?: Logger): void {
  node.addEventListener('peer:identify', ({ detail }) => {
    if (!detail.protocols.includes(protocol)) return
    node.peerStore
      .merge(detail.peerId, { tags: { [KEEP_ALIVE_TAG]: { value: 100 } } })
      .catch((err: unknown) =>
        logger?.debug('federation: a peer could not be tagged keep-alive', { error: err }),
      )
  })
}
