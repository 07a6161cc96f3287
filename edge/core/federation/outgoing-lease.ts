/**
 * One attempt of one of our jobs on a peer orchestrator, seen from here (the origin): the offer,
 * the code when the peer asks for it by hash, its guest's `db` calls answered from our namespace,
 * and its report. The peer must show signs of life within the lease; silence, a closed stream, a
 * malformed frame or a frame about another job ends the lease, and the job runs elsewhere.
 */
import {
  PeerFrame,
  type ForwardedRun,
  type Offer,
  type REFUSAL_CODES,
} from '../../../shared/protocol/federation'
import type { JobErrorFrame, ResultFrame } from '../../../shared/protocol/frames'
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import { describeIssues } from '../../../shared/protocol/schema-errors'
import type { DbAccess } from '../kv/db-access'
import type { Attempt, LostCause, Report } from '../placement/placement'
import type { Task } from '../placement/work'
import { capReport } from '../volunteers/report-caps'
import type { MeshStream } from './mesh'
import type { PeerSite } from './peer-site'
import { IncomingFile, sendFile, toBase64 } from './file-chunks'
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'

/** What a lease needs from the orchestrator around it. */
export interface LeaseHost {
  /** A job stream to `peer` (a new one, or one a lease before left) with `offer` sent on it. */
  open(peer: string, offer: Offer): Promise<MeshStream>
  /** The lease ended cleanly: its stream may carry the next one. */
  release(stream: MeshStream): void
  /** A guest's `db` call, within the job's namespace and what it may reach there. */
  answer(scope: { jobId: string; namespace: string; db: DbAccess }, call: HostCall): HostReply
  /** What the guest's `db` calls may reach when this peer runs them. */
  access(site: PeerSite, attempt: Attempt): DbAccess
  sha256(text: string): string | Promise<string>
  /** A wasm module's bytes by content id. */
  module(cid: string): Promise<Uint8Array | undefined>
  /** A native job's requirements of the machine that runs it. */
  requirements(jobId: string): ServiceRequirements | undefined
  /** An uploaded service's file. */
  serviceFile(serviceId: number, path: string): Promise<ReadableStream<Uint8Array> | undefined>
  /** Keeps an output of a native job's attempt (as a runner's upload would). */
  saveOutput(
    jobId: string,
    attempt: number,
    name: string,
    body: ReadableStream<Uint8Array>,
  ): Promise<unknown>
  leaseMs: number
  /** How long a peer that refused gets no more work. */
  holdMs: number
  /** How long a peer that broke the protocol, or went silent, gets no more work. */
  dropHoldMs: number
  /** The attempt started on the peer (it accepted it). */
  started(lease: OutgoingLease): void
  reported(lease: OutgoingLease, report: Report): void
  lost(lease: OutgoingLease, cause: LostCause): void
}

/**
 * How long a peer that refused gets no work: a moment when it was only busy (over its rate or its
 * jobs at once), `holdMs` for anything else, and long when it does not take our work at all.
 */
function holdAfter(code: (typeof REFUSAL_CODES)[number], holdMs: number): number {
  if (code === 'RATE_LIMITED' || code === 'TOO_MANY') return 1_000
  return code === 'NOT_ALLOWED' ? 12 * holdMs : holdMs
}

/** Outputs one native run may send back (a runner's are stdout, stderr, logs and its mounts). */
const MAX_OUTPUTS = 1024

export class OutgoingLease {
  /** When the peer last showed a sign of life. */
  lastHeard: number
  private stream: MeshStream | undefined
  private over = false
  /** The hash its offer named the code by (the only code the peer may ask for). */
  private codeHash: string | undefined
  /** A native run's outputs as they arrive, by name. */
  private readonly outputs = new Map<string, IncomingFile<unknown>>()

  constructor(
    readonly attempt: Attempt,
    private readonly task: Task,
    readonly site: PeerSite,
    private readonly host: LeaseHost,
    now: number,
  ) {
    this.lastHeard = now
  }

  get ended(): boolean {
    return this.over
  }

  /** Offers the attempt once its start is durable, then follows the peer until it reports. */
  async run(ready?: Promise<void>): Promise<void> {
    let reached = false
    try {
      await ready
      if (this.over) return
      const stream = await this.host.open(this.site.peer, await this.offer())
      if (this.over) return stream.abort('cancelled')
      this.stream = stream
      reached = true
      this.lastHeard = Date.now()
      // The offer is out: the attempt has started as far as the scheduler can tell (a peer that
      // cannot take it says so at once; one that goes silent loses the lease).
      this.host.started(this)
      // Read by hand: leaving a for-await would end the frames for the stream's next lease.
      const frames = stream.frames()[Symbol.asyncIterator]()
      for (let next = await frames.next(); !next.done; next = await frames.next()) {
        const raw = next.value
        this.lastHeard = Date.now()
        const parsed = PeerFrame.safeParse(raw)
        if (!parsed.success) return this.drop(`a malformed frame: ${describeIssues(parsed.error)}`)
        await this.take(parsed.data)
        if (this.over) return
      }
      // Our side too: a stream is freed once both sides closed it.
      stream.close()
      this.lose('disconnected')
    } catch {
      if (reached) return this.lose('disconnected')
      // It could not be reached at all (gone, its address stale): held like a refusal, and the
      // job goes elsewhere without spending a retry, since no peer ever had it.
      this.site.heldUntil = Date.now() + this.host.holdMs
      this.lose('refused')
    }
  }

  /** The scheduler stopped it (cancelled, or its deadline passed): the peer is told. */
  cancel(reason: 'cancelled' | 'timeout'): void {
    if (this.over) return
    this.over = true
    this.stream?.send({ type: 'cancel', reason })
    this.stream?.close()
  }

  /** Ends the lease when the peer was silent too long; true when it did. */
  expire(now: number): boolean {
    if (this.over || now - this.lastHeard <= this.host.leaseMs) return false
    this.drop('no sign of life within its lease')
    return true
  }

  private async offer(): Promise<Offer> {
    const { attempt, task } = this
    return {
      type: 'offer',
      job_id: attempt.id,
      attempt: attempt.attempt,
      job_type: task.job_type as Offer['job_type'],
      namespace: task.namespace,
      code_hash: (this.codeHash = await this.host.sha256(task.code)),
      input_data: task.input_data,
      timeout_ms: task.timeout_ms,
      ...(task.wasm_cid && { wasm_cid: task.wasm_cid, args: task.args, env: task.env }),
      untrusted_db: attempt.untrustedDb,
      lease_ms: this.host.leaseMs,
      ...(task.native && { native: this.forwardedRun() }),
    }
  }

  /** The run as the peer gets it: no token, nothing outside the service's own files. */
  private forwardedRun(): ForwardedRun {
    const {
      job_token: _token,
      orchestrator: _us,
      input_refs,
      stdin_ref,
      ...run
    } = this.task.native!
    if (run.source !== 'upload' || input_refs || stdin_ref)
      throw new Error('only uploaded services with inline inputs run on peers')
    return {
      run: { ...run, source: 'upload' },
      requirements: this.host.requirements(this.attempt.id) ?? {},
    }
  }

  private async take(frame: PeerFrame): Promise<void> {
    const { attempt, stream } = this
    if (frame.type === 'refused') {
      this.site.heldUntil = Date.now() + holdAfter(frame.code, this.host.holdMs)
      return this.lose('refused')
    }
    if (frame.job_id !== attempt.id || frame.attempt !== attempt.attempt)
      return this.drop(`a frame about job ${frame.job_id} attempt ${frame.attempt}`)
    switch (frame.type) {
      case 'accepted':
      case 'heartbeat':
        return
      case 'progress':
        attempt.progress = { fraction: frame.fraction, message: frame.message, at: Date.now() }
        return
      case 'need_code':
        if (frame.hash !== this.codeHash) return this.drop('it asked for code that is not its job')
        stream?.send({ type: 'code', hash: frame.hash, code: this.task.code })
        return
      case 'need_wasm': {
        const bytes = frame.cid === this.task.wasm_cid && (await this.host.module(frame.cid))
        if (!bytes) return this.drop('it asked for a module that is not its job')
        stream?.send({ type: 'wasm', cid: frame.cid, data: toBase64(bytes) })
        return
      }
      case 'need_file': {
        const run = this.task.native
        if (!run?.files?.some((f) => f.path === frame.path))
          return this.drop('it asked for a file that is not its run’s')
        const body = await this.host.serviceFile(run.service_id, frame.path)
        if (!body) return this.drop(`the service’s file ${frame.path} is gone`)
        if (stream) await sendFile(stream, 'file', frame.path, body)
        return
      }
      case 'output':
        return this.output(frame)
      case 'host': {
        const scope = {
          jobId: attempt.id,
          namespace: attempt.namespace,
          db: this.host.access(this.site, attempt),
        }
        const reply = this.host.answer(scope, frame.call)
        stream?.send({ type: 'host_reply', request_id: frame.request_id, reply })
        return
      }
      case 'result':
      case 'error':
        return this.report(frame)
    }
  }

  /** A chunk of one of a native run's outputs: stored as it comes, under the job's attempt. */
  private async output(frame: Extract<PeerFrame, { type: 'output' }>): Promise<void> {
    if (!this.task.native) return this.drop('it sent an output for a job that has none')
    let file = this.outputs.get(frame.path)
    if (!file) {
      if (this.outputs.size >= MAX_OUTPUTS) return this.drop(`over ${MAX_OUTPUTS} outputs`)
      const { id, attempt } = this.attempt
      file = new IncomingFile((body) => this.host.saveOutput(id, attempt, frame.path, body))
      this.outputs.set(frame.path, file)
    }
    try {
      await file.add(frame.data, frame.last)
    } catch (err) {
      file.abort('refused')
      this.drop(`its output ${frame.path} was refused: ${(err as Error).message}`)
    }
  }

  private report(frame: Extract<PeerFrame, { type: 'result' | 'error' }>): void {
    this.over = true
    const { volunteer, ...rest } = frame
    const sent: ResultFrame | JobErrorFrame =
      rest.type === 'result'
        ? rest
        : { ...rest, retryable: rest.retryable, output: rest.output ?? '' }
    const executedBy = `${this.site.id}/${volunteer ?? 'unknown'}`
    this.host.reported(this, { ...capReport(sent), executed_by: executedBy })
    if (this.stream) this.host.release(this.stream)
  }

  /** The peer broke the protocol or went silent: the stream is reset and the job runs elsewhere. */
  private drop(why: string): void {
    for (const file of this.outputs.values()) file.abort(why)
    this.site.heldUntil = Date.now() + this.host.dropHoldMs
    this.stream?.abort(why)
    this.lose('disconnected')
  }

  private lose(cause: LostCause): void {
    if (this.over) return
    this.over = true
    this.host.lost(this, cause)
  }
}
