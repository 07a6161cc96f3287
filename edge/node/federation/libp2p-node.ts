/**
 * The js-libp2p node an orchestrator meshes with: TCP, noise, yamux, identify, ping and a private
 * Kademlia DHT (server mode, every address kept so LAN and loopback meshes work), optionally a
 * private network under a swarm key. The mesh's own protocols are added by its caller.
 */
import './promise-with-resolvers'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2pGater, Libp2pPrivateKey } from './libp2p-types'

/** The DHT's protocol: its own, so it never mixes with the public IPFS DHT. */
const DHT_PROTOCOL = '/zerverless/kad/1.0.0'
const STREAM_WINDOW_BYTES = 1024 * 1024

export interface Libp2pNodeOptions {
  privateKey: Libp2pPrivateKey
  host: string
  port: number
  bootstrap: string[]
  swarmKey?: Uint8Array
  gater: Libp2pGater
}

/**
 * Makes a node that will listen on `host:port` (port 0: any free one) once started with
 * `startLibp2pNode`; its caller registers its protocols in between, so the first peers it meets
 * already learn them.
 */
export async function createLibp2pNode(options: Libp2pNodeOptions) {
  const ip = options.host.includes(':') ? 'ip6' : 'ip4'
  return createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: [`/${ip}/${options.host}/tcp/${options.port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // A stream's window is what a peer may have in flight to a reader that paused: capped well
    // below yamux's 16 MiB so the job streams one peer can hold open stay a bounded cost.
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: STREAM_WINDOW_BYTES } })],
    connectionGater: options.gater,
    ...(options.swarmKey && { connectionProtector: preSharedKey({ psk: options.swarmKey }) }),
    // Bootstrap peers are dialed at once (the default waits a second after start for no gain here).
    peerDiscovery:
      options.bootstrap.length > 0 ? [bootstrap({ list: options.bootstrap, timeout: 0 })] : [],
    services: {
      identify: identify(),
      // The connection monitor pings every connection; a peer must answer for it to stay.
      ping: ping(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        // The first self-query (which finds the peers our bootstrap peers know) 200 ms after start,
        // not 1 s; it waits for a first peer anyway. Later ones are 5 min apart: see dht-discovery.
        initialQuerySelfInterval: 200,
      }),
    },
  })
}

/** Starts a node made by `createLibp2pNode`. */
export async function startLibp2pNode(node: Libp2pNode): Promise<void> {
  await node.start()
  // Server mode is otherwise chosen only for a public address; peers on a LAN or loopback must
  // answer each other's queries for one to find another.
  await node.services.dht.setMode('server')
}

/** The node `createLibp2pNode` makes, with its services. */
export type Libp2pNode = Awaited<ReturnType<typeof createLibp2pNode>>
