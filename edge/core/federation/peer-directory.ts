/** The orchestrators this one has met: when, at which addresses, and what they last announced. */
import type { Announcement } from '../../../shared/protocol/federation'

type PeerStatus = 'connected' | 'disconnected' | 'banned'

export interface KnownPeer {
  id: string
  addresses: string[]
  status: PeerStatus
  connectedSince: number | undefined
  lastSeen: number
  announcement: Announcement | undefined
}

/** Peers not heard from for this long are forgotten (a mesh of strangers churns). */
const FORGET_AFTER_MS = 24 * 3600_000

export class PeerDirectory {
  private readonly peers = new Map<string, KnownPeer>()

  connected(id: string, addresses: string[], now: number): void {
    const peer = this.touch(id, now)
    if (peer.status === 'banned') return
    if (peer.status !== 'connected') peer.connectedSince = now
    peer.status = 'connected'
    if (addresses.length > 0) peer.addresses = addresses
  }

  disconnected(id: string, now: number): void {
    const peer = this.touch(id, now)
    if (peer.status === 'connected') peer.status = 'disconnected'
    peer.connectedSince = undefined
  }

  announced(id: string, announcement: Announcement, now: number): void {
    this.touch(id, now).announcement = announcement
  }

  banned(id: string, now: number): void {
    const peer = this.touch(id, now)
    peer.status = 'banned'
    peer.connectedSince = undefined
  }

  get(id: string): KnownPeer | undefined {
    return this.peers.get(id)
  }

  list(now: number): KnownPeer[] {
    for (const [id, peer] of this.peers)
      if (peer.status === 'disconnected' && now - peer.lastSeen > FORGET_AFTER_MS)
        this.peers.delete(id)
    return [...this.peers.values()]
  }

  private touch(id: string, now: number): KnownPeer {
    let peer = this.peers.get(id)
    if (!peer) {
      peer = {
        id,
        addresses: [],
        status: 'disconnected',
        connectedSince: undefined,
        lastSeen: now,
        announcement: undefined,
      }
      this.peers.set(id, peer)
    }
    peer.lastSeen = now
    return peer
  }
}
