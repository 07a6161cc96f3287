/**
 * The seam between federation (portable: which peer takes which job, over which frames) and the
 * network that carries it (the Node host's js-libp2p node: edge/node/federation/). Frames travel as
 * JSON values; the mesh only frames and bounds them, and callers parse every one with a schema.
 */

/** One conversation with a peer on `/zerverless/job/1.0.0`: a forwarded job's lease. */
export interface MeshStream {
  /** The other orchestrator's peer id. */
  readonly peer: string
  /** Sends one frame; false when the stream is closed (the frame is dropped). */
  send(frame: unknown): boolean
  /**
   * Resolves once little enough is queued to send more (true), or the stream closed (false): a
   * sender of many frames (a file's chunks) waits on it between frames, since `send` cannot.
   */
  drained(): Promise<boolean>
  /**
   * Frames as they arrive, each a JSON value (unparsed: the caller's schema decides). Bytes that
   * are not JSON, or a frame over the mesh's size cap, end the stream with an error instead.
   */
  frames(): AsyncIterable<unknown>
  /** Ends it: what was sent is delivered first. */
  close(): void
  /** Ends it at once (the peer sees a reset). */
  abort(reason: string): void
}

/** What the mesh says of the orchestrators it is connected to. */
export interface MeshPeerEvent {
  peer: string
  /** Multiaddrs it is known at (`/ip4/…/tcp/…/p2p/…`). */
  addresses: string[]
}

/** A node in the mesh. */
export interface Mesh {
  /** This orchestrator's peer id. */
  readonly self: string
  /** The multiaddrs it listens on, each ending in `/p2p/{self}`. */
  addresses(): string[]
  /** Opens a job stream to a connected or known peer; rejects when it cannot be reached. */
  open(peer: string): Promise<MeshStream>
  /** Streams peers opened to this node. */
  onStream(handler: (stream: MeshStream) => void): void
  /** Sends this node's announcement to every connected peer (`/zerverless/stats/1.0.0`). */
  announce(announcement: unknown): void
  /** Announcements from peers, unparsed. */
  onAnnouncement(handler: (peer: string, announcement: unknown) => void): void
  /** A peer connected (first connection) or left (its last connection closed). */
  onPeer(handler: (event: MeshPeerEvent & { status: 'connected' | 'disconnected' }) => void): void
  /** Dials a multiaddr that ends in `/p2p/{id}`; resolves with the peer id once connected. */
  dial(address: string): Promise<string>
  /** Hangs up on a peer and refuses it from now on (until restart). */
  ban(peer: string): Promise<void>
  /** The peers connected now. */
  connected(): MeshPeerEvent[]
  stop(): Promise<void>
}
