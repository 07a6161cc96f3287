/** Banned peers: a connection gater that refuses them in both directions at every stage. */
import type { Libp2pGater, Libp2pPeerId } from './libp2p-types'

/** The banned set and the gater that enforces it (banned until the process restarts). */
export interface PeerBans {
  gater: Libp2pGater
  ban(peer: string): void
  isBanned(peer: string): boolean
}

/** An empty banned set. */
export function peerBans(): PeerBans {
  const banned = new Set<string>()
  const deny = (peer: Libp2pPeerId) => banned.has(peer.toString())
  return {
    // Checked before dialing, and again once a connection's peer id is known (an inbound one's
    // is only known after encryption), so a banned peer cannot come back by dialing us.
    gater: {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
    },
    ban: (peer) => void banned.add(peer),
    isBanned: (peer) => banned.has(peer),
  }
}
