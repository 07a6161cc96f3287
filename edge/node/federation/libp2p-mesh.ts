/**
 * The Node host's `Mesh`: a js-libp2p node with the orchestrators' two protocols on it. Work goes
 * over `/zerverless/job/1.0.0` streams, load and capabilities over `/zerverless/stats/1.0.0`.
 */
import './promise-with-resolvers'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Mesh, MeshStream } from '../../core/federation/mesh'
import type { Logger } from '../../core/observability/logger'
import { announcements } from './announcements'
import { startDhtDiscovery } from './dht-discovery'
import { handlerList } from './handler-list'
import { keepMeshPeers } from './keep-mesh-peers'
import { createLibp2pNode, startLibp2pNode } from './libp2p-node'
import { meshStream } from './mesh-stream'
import { peerBans } from './peer-bans'
import { peerDirectory } from './peer-directory'
import { loadOrCreatePeerKey } from './peer-key'

export const JOB_PROTOCOL = '/zerverless/job/1.0.0'
/**
 * Job streams open at once on one connection, each way: one per forwarded job in flight between
 * two orchestrators, and each may hold up to a stream window of unread bytes.
 */
const MAX_JOB_STREAMS = 256

export interface Libp2pMeshOptions {
  /** The data directory: the identity is kept at `{dataDir}/p2p/peer.key`. */
  dataDir: string
  /** The address to listen on (default 127.0.0.1: opening the mesh to a network is a choice). */
  host?: string
  /** The TCP port; 0 takes any free one. */
  port: number
  /** Multiaddrs, each ending in `/p2p/{peer id}`, to join the mesh through. */
  bootstrap: string[]
  /** The contents of a `@libp2p/pnet` swarm key file: only nodes with it can connect. */
  swarmKey?: Uint8Array
  /** The largest job frame either way, in bytes of JSON. */
  maxFrameBytes: number
  logger?: Logger
}

/** Starts this orchestrator's node in the mesh; `stop()` it when the orchestrator stops. */
export async function createLibp2pMesh(options: Libp2pMeshOptions): Promise<Mesh> {
  const { maxFrameBytes, logger } = options
  const bans = peerBans()
  const node = await createLibp2pNode({
    privateKey: await loadOrCreatePeerKey(options.dataDir),
    host: options.host ?? '127.0.0.1',
    port: options.port,
    bootstrap: options.bootstrap,
    swarmKey: options.swarmKey,
    gater: bans.gater,
  })
  const self = node.peerId.toString()
  const directory = peerDirectory(node, logger)
  const stats = await announcements(node, logger)
  const discovery = startDhtDiscovery(node, bans.isBanned, logger)

  const streamHandlers = handlerList<[MeshStream]>('job stream', logger)
  await node.handle(
    JOB_PROTOCOL,
    (stream, connection) => {
      const wrapped = meshStream(stream, connection.remotePeer.toString(), maxFrameBytes, logger)
      if (!streamHandlers.call(wrapped))
        wrapped.abort('this orchestrator could not take the stream')
    },
    { maxInboundStreams: MAX_JOB_STREAMS, maxOutboundStreams: MAX_JOB_STREAMS },
  )
  keepMeshPeers(node, JOB_PROTOCOL, logger)
  try {
    await startLibp2pNode(node)
  } catch (err) {
    // A port in use, say: nothing of the half-started node may outlive the error.
    discovery.stop()
    await Promise.resolve(node.stop()).catch(() => undefined)
    throw err
  }

  return {
    self,
    addresses: () => node.getMultiaddrs().map((a) => a.toString()),
    async open(peer) {
      const stream = await node.dialProtocol(peerIdFromString(peer), JOB_PROTOCOL, {
        signal: AbortSignal.timeout(10_000),
      })
      return meshStream(stream, peer, maxFrameBytes, logger)
    },
    onStream: streamHandlers.add,
    announce: stats.announce,
    onAnnouncement: stats.onAnnouncement,
    onPeer: directory.onPeer,
    async dial(address) {
      const connection = await node.dial(multiaddr(address), {
        signal: AbortSignal.timeout(10_000),
      })
      return connection.remotePeer.toString()
    },
    async ban(peer) {
      bans.ban(peer)
      const id = peerIdFromString(peer)
      await node.hangUp(id).catch(() => undefined)
      // Forgotten too, so nothing (the DHT, the reconnect queue) keeps its addresses to retry.
      await node.peerStore.delete(id).catch(() => undefined)
    },
    connected: directory.connected,
    async stop() {
      discovery.stop()
      await node.stop()
    },
  }
}
