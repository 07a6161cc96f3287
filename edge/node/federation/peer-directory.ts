/**
 * The orchestrators connected now and the addresses each is known at. Addresses come from what a
 * peer says it listens on (identify), falling back to where its connection comes from: an inbound
 * connection's source port is no address anyone can dial back.
 */
import type { MeshPeerEvent } from '../../core/federation/mesh'
import type { Logger } from '../../core/observability/logger'
import { handlerList } from './handler-list'
import type { Libp2pNode } from './libp2p-node'
import type { Libp2pPeerId } from './libp2p-types'

type PeerStatusEvent = MeshPeerEvent & { status: 'connected' | 'disconnected' }

/** What the mesh tells the core of its peers. */
export interface PeerDirectory {
  connected(): MeshPeerEvent[]
  onPeer(handler: (event: PeerStatusEvent) => void): void
}

/** Starts following `node`'s connections. */
export function peerDirectory(node: Libp2pNode, logger?: Logger): PeerDirectory {
  const listenAddrs = new Map<string, string[]>()
  const handlers = handlerList<[PeerStatusEvent]>('peer event', logger)
  const withPeer = (addr: string, id: string) =>
    addr.endsWith(`/p2p/${id}`) ? addr : `${addr}/p2p/${id}`

  const addressesOf = (peer: Libp2pPeerId): string[] => {
    const id = peer.toString()
    const announced = listenAddrs.get(id)
    if (announced && announced.length > 0) return announced
    return node.getConnections(peer).map((c) => withPeer(c.remoteAddr.toString(), id))
  }
  const emit = (event: PeerStatusEvent) => void handlers.call(event)

  node.addEventListener('peer:identify', ({ detail }) => {
    const id = detail.peerId.toString()
    listenAddrs.set(
      id,
      detail.listenAddrs.map((a) => withPeer(a.toString(), id)),
    )
  })
  node.addEventListener('peer:connect', ({ detail: peer }) => {
    emit({ peer: peer.toString(), addresses: addressesOf(peer), status: 'connected' })
  })
  node.addEventListener('peer:disconnect', ({ detail: peer }) => {
    const id = peer.toString()
    const addresses = listenAddrs.get(id) ?? []
    listenAddrs.delete(id)
    emit({ peer: id, addresses, status: 'disconnected' })
  })

  return {
    connected: () =>
      node.getPeers().map((peer) => ({ peer: peer.toString(), addresses: addressesOf(peer) })),
    onPeer: handlers.add,
  }
}
