/**
 * Work peers forward to us: each stream's first frame must be an offer, which is refused with a
 * code (NOT_ALLOWED, NO_WORKER, TOO_MANY, RATE_LIMITED, DUPLICATE, BAD_FRAME) or taken as an
 * incoming lease. Limits per peer reuse the rate limiter the API uses.
 */
import { OriginFrame, type Offer, REFUSAL_CODES } from '../../../shared/protocol/federation'
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import type { WorkSpec } from '../placement/work'
import { RateLimiter } from '../limits/rate-limiter'
import { describeIssues } from '../../../shared/protocol/schema-errors'
import { forwardedNamespace } from './forwarded-namespace'
import { IncomingLease, type IncomingHost, type NextRead } from './incoming-lease'
import type { MeshStream } from './mesh'

/** What taking peers' work needs from the orchestrator here. */
export interface ForwardedWorkHost extends Omit<IncomingHost, 'namespace'> {
  /** Whether we take work from this peer (the allow list). */
  mayGive(peer: string): boolean
  /** Whether a volunteer (or runner) here could run this work of a peer's. */
  runsHere(work: WorkSpec): boolean
  /** Forwarded jobs one peer may have here at once. */
  maxPerPeer: number
  /** Offers a second from one peer, and the burst. */
  rate: { rate: number; burst: number }
}

type RefusalCode = (typeof REFUSAL_CODES)[number]

export class ForwardedWork {
  private readonly byLocal = new Map<string, IncomingLease>()
  private readonly byOrigin = new Map<string, IncomingLease>()
  private readonly perPeer = new Map<string, number>()
  private readonly rate: RateLimiter

  constructor(private readonly host: ForwardedWorkHost) {
    this.rate = new RateLimiter(host.rate)
  }

  /** Forwarded jobs one peer has running here now. */
  runningFor(peer: string): number {
    return this.perPeer.get(peer) ?? 0
  }

  /** A peer opened a stream: each offer on it is checked, then run or refused. */
  async accept(stream: MeshStream): Promise<void> {
    const frames = stream.frames()[Symbol.asyncIterator]()
    for (let next: NextRead | undefined = { read: frames.next() }; next;)
      next = await this.take(stream, frames, await next.read)
  }

  /** One offer on `stream`; resolves with the read of the stream's next offer, if it may carry one. */
  private async take(
    stream: MeshStream,
    frames: AsyncIterator<unknown>,
    first: IteratorResult<unknown>,
  ): Promise<NextRead | undefined> {
    // The stream ended before its offer (closed, reset, a frame over the cap or not JSON).
    if (first.done) return void stream.close()
    const parsed = OriginFrame.safeParse(first.value)
    if (!parsed.success) return refuse(stream, 'BAD_FRAME', describeIssues(parsed.error))
    if (parsed.data.type !== 'offer')
      return refuse(stream, 'BAD_FRAME', `expected an offer, got ${parsed.data.type}`)
    const offer = parsed.data
    const why = this.refusal(stream.peer, offer)
    if (why) return refuse(stream, why[0], why[1], offer.job_id)
    const key = `${stream.peer}/${offer.job_id}`
    const submit: IncomingHost['submit'] = (job) => {
      const record = this.host.submit(job)
      this.byLocal.set(record.id, lease)
      return record
    }
    const namespace = forwardedNamespace(stream.peer)
    const lease: IncomingLease = new IncomingLease(
      offer,
      stream,
      { ...this.host, namespace, submit },
      frames,
    )
    this.byOrigin.set(key, lease)
    this.perPeer.set(stream.peer, (this.perPeer.get(stream.peer) ?? 0) + 1)
    try {
      return await lease.run()
    } catch (err) {
      // Whatever the peer sent that broke the lease (a module that is not base64, a store
      // that failed), the stream ends and nothing else does.
      stream.abort(`the job could not be taken: ${(err as Error).message}`)
      return undefined
    } finally {
      // run() returns once the job ended or the origin left; the record stays, the lease goes.
      this.byOrigin.delete(key)
      if (lease.localId !== undefined) this.byLocal.delete(lease.localId)
      const left = (this.perPeer.get(stream.peer) ?? 1) - 1
      if (left > 0) this.perPeer.set(stream.peer, left)
      else this.perPeer.delete(stream.peer)
    }
  }

  /** A job ended here: if a peer forwarded it, the peer hears. */
  finished(localId: string): void {
    this.leaseOf(localId)?.finished()
  }

  /** A guest's `db` call in a forwarded job, sent to its origin. */
  relay(localId: string, call: HostCall): Promise<HostReply> {
    const lease = this.leaseOf(localId)
    if (!lease) return Promise.resolve({ ok: false, error: `job ${localId} is not running here` })
    return lease.relay(call)
  }

  /** Signs of life for the leases that are due one. */
  heartbeat(now: number): void {
    for (const lease of this.byOrigin.values()) lease.heartbeat(now)
  }

  private leaseOf(localId: string): IncomingLease | undefined {
    return this.byLocal.get(localId)
  }

  private refusal(peer: string, offer: Offer): [RefusalCode, string] | undefined {
    if (!this.host.mayGive(peer)) return ['NOT_ALLOWED', 'this orchestrator takes no work from you']
    if (this.byOrigin.has(`${peer}/${offer.job_id}`))
      return ['DUPLICATE', `job ${offer.job_id} already runs here`]
    const work: WorkSpec = {
      runtime: offer.job_type,
      namespace: forwardedNamespace(peer),
      ...(offer.native && { native: { peerId: null, requirements: offer.native.requirements } }),
    }
    if (!this.host.runsHere(work))
      return ['NO_WORKER', `no volunteer or runner here can run this ${offer.job_type} job`]
    if ((this.perPeer.get(peer) ?? 0) >= this.host.maxPerPeer)
      return ['TOO_MANY', `you have ${this.host.maxPerPeer} jobs running here already`]
    const verdict = this.rate.take(peer)
    if (!verdict.ok)
      return ['RATE_LIMITED', `too many offers; retry in ${verdict.retryAfterSeconds} s`]
    return undefined
  }
}

function refuse(stream: MeshStream, code: RefusalCode, message: string, jobId?: string): undefined {
  stream.send({ type: 'refused', ...(jobId !== undefined && { job_id: jobId }), code, message })
  stream.close()
  return undefined
}
