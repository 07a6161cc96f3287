/**
 * Job streams to peers kept open between leases. Opening a libp2p stream (a yamux open, protocol
 * negotiation, a peer-store write on each side) costs several times a trivial job's own frames
 * (bench: `npm run bench -- federation`), so a lease that ended cleanly leaves its stream for the next.
 */
import type { MeshStream } from './mesh'

/** Idle streams kept per peer; each holds one of the connection's job-stream slots. */
const MAX_IDLE_PER_PEER = 32

export class StreamPool {
  private readonly idle = new Map<string, MeshStream[]>()

  constructor(private readonly open: (peer: string) => Promise<MeshStream>) {}

  /** A stream to `peer` with `first` sent on it: an idle one that still takes frames, or a new one. */
  async send(peer: string, first: unknown): Promise<MeshStream> {
    const list = this.idle.get(peer)
    for (let stream = list?.pop(); stream; stream = list?.pop())
      if (stream.send(first)) return stream
    const stream = await this.open(peer)
    if (!stream.send(first)) throw new Error(`the stream to ${peer} closed before its first frame`)
    return stream
  }

  /** A lease on `stream` ended cleanly: the stream may carry the next one. */
  release(stream: MeshStream): void {
    const list = this.idle.get(stream.peer) ?? []
    if (list.length >= MAX_IDLE_PER_PEER) return stream.close()
    list.push(stream)
    this.idle.set(stream.peer, list)
  }

  /** A peer left or was banned: its idle streams end. */
  forget(peer: string): void {
    for (const stream of this.idle.get(peer) ?? []) stream.close()
    this.idle.delete(peer)
  }
}
