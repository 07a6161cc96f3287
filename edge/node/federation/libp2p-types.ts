/**
 * js-libp2p's types, named from what `libp2p` itself exports: @libp2p/interface is only a
 * transitive package here, and importing it would make it a dependency nobody pinned.
 */
import type { Libp2p, Libp2pOptions } from 'libp2p'

/** A protocol stream (libp2p 3: an event target with `send`, not a duplex). */
export type Libp2pStream = Awaited<ReturnType<Libp2p['dialProtocol']>>
export type Libp2pPeerId = Libp2p['peerId']
export type Libp2pPrivateKey = NonNullable<Libp2pOptions['privateKey']>
export type Libp2pGater = NonNullable<Libp2pOptions['connectionGater']>
/** What a stream carries: a Uint8Array or a Uint8ArrayList. */
export type StreamChunk = Parameters<Libp2pStream['send']>[0]
