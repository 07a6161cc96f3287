/**
 * One peer's job running here (we are the executor): the offer checked, its code and module
 * fetched from the origin by hash and checked against it, the job run by our volunteers under a
 * namespace of the origin's own, its guest's `db` calls sent back to the origin, signs of life
 * every third of the lease, and its end reported. The origin going away cancels it here; once it
 * ended, the origin may send the next offer on the same stream (see StreamPool).
 */
import { cidOf } from '../../../shared/protocol/cid'
import { OriginFrame, type Offer } from '../../../shared/protocol/federation'
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { WriteResult } from '../storage/file-store'
import { fromBase64, IncomingFile, sendFile } from './file-chunks'
import type { ForwardedServices } from './forwarded-service'
import type { MeshStream } from './mesh'

/** What a running forwarded job needs from the orchestrator here. */
export interface IncomingHost {
  submit(job: NewJob): JobRecord
  cancel(localId: string): void
  get(localId: string): JobRecord | undefined
  sha256(text: string): string | Promise<string>
  putModule(cid: string, bytes: Uint8Array): void
  hasModule(cid: string): boolean
  /** Code this orchestrator already has, by hash (forwarded jobs often repeat it). */
  knownCode(hash: string): string | undefined
  /** The namespace this peer's work is recorded under here. */
  namespace: string
  /** Native runs: the local services they run as, and what they produced. */
  services: ForwardedServices | undefined
  outputs:
    | {
        list(jobId: string): { name: string }[]
        read(jobId: string, name: string): Promise<ReadableStream<Uint8Array> | undefined>
      }
    | undefined
}

/** A read of a stream's next frame, boxed so that an async function hands it on unsettled. */
export interface NextRead {
  read: Promise<IteratorResult<unknown>>
}

/** How long a guest's `db` call waits for the origin's answer. */
const HOST_CALL_TIMEOUT_MS = 30_000
/** Failures that are ours (or our volunteers'), not the guest's: the origin may run it elsewhere. */
const OURS = new Set(['MAX_RETRIES', 'WORKER_CRASHED', 'RUNTIME_UNAVAILABLE', 'CANCELLED'])

export class IncomingLease {
  /** The job's id here, once submitted. */
  localId: string | undefined
  private readonly frames: AsyncIterator<unknown>
  private readonly calls = new Map<number, (reply: HostReply) => void>()
  private nextCall = 0
  private lastBeat = Date.now()
  private over = false
  private endFollow: () => void = () => undefined
  private readonly followEnds = new Promise<void>((resolve) => (this.endFollow = resolve))

  constructor(
    readonly offer: Offer,
    private readonly stream: MeshStream,
    private readonly host: IncomingHost,
    frames: AsyncIterator<unknown>,
  ) {
    this.frames = frames
  }

  get peer(): string {
    return this.stream.peer
  }

  /**
   * Fetches what it lacks, submits the job, then follows the origin until the job ends. Resolves
   * with the read of the stream's next frame when the stream may carry another offer.
   */
  async run(): Promise<NextRead | undefined> {
    const job = this.offer.native ? await this.nativeJob() : await this.sandboxJob()
    if (!job) return undefined
    // No `accepted`: the origin counts the attempt started once it offered it, and a frame less
    // per job is a fifth of what forwarding costs (bench: federation).
    this.localId = this.host.submit(job).id
    return this.follow()
  }

  private async sandboxJob(): Promise<NewJob | undefined> {
    const { offer } = this
    if (offer.job_type === 'native') return this.refuse('a native offer carries its run')
    const code = await this.fetchCode()
    if (code === undefined) return undefined
    if (offer.wasm_cid && !(await this.fetchModule(offer.wasm_cid))) return undefined
    return {
      job_type: offer.job_type,
      namespace: this.host.namespace,
      code,
      code_hash: offer.code_hash,
      input_data: offer.input_data,
      timeout_ms: offer.timeout_ms,
      // One more try here if our volunteer vanishes; the origin's lease covers the rest.
      max_retries: 1,
      batch_id: null,
      ...(offer.wasm_cid && {
        wasm_cid: offer.wasm_cid,
        args: offer.args ?? [],
        env: offer.env ?? {},
      }),
      untrusted_db: offer.untrusted_db,
    }
  }

  /** A native run: its service made here (files fetched), its inputs as a run's code blob. */
  private async nativeJob(): Promise<NewJob | undefined> {
    const { offer, host } = this
    const forwarded = offer.native
    if (!forwarded || offer.job_type !== 'native' || !host.services)
      return this.refuse('this orchestrator runs no native jobs for peers')
    const service = await host.services.serviceFor(
      host.namespace,
      forwarded,
      Math.ceil(offer.timeout_ms / 1000),
      (path, store) => this.fetchFile(path, store),
    )
    if (typeof service === 'string') return this.refuse(service)
    const { run, requirements } = forwarded
    const code = JSON.stringify({
      ...(run.stdin !== undefined && { stdin: run.stdin }),
      input_files: run.input_files,
    })
    return {
      job_type: 'native',
      namespace: host.namespace,
      code,
      code_hash: await host.sha256(code),
      input_data: {
        service_id: service.id,
        service_name: service.name,
        arguments: run.arguments,
        requirements,
        ...(run.workflow_run !== undefined && { workflow_run: run.workflow_run }),
      },
      timeout_ms: offer.timeout_ms,
      max_retries: 1,
      batch_id: null,
    }
  }

  /** One of a native run's service files, from the origin into `store`. */
  private async fetchFile(
    path: string,
    store: (body: ReadableStream<Uint8Array>) => Promise<WriteResult>,
  ): Promise<WriteResult | undefined> {
    if (!this.send({ type: 'need_file', path })) return undefined
    const file = new IncomingFile(store)
    for (let frame = await this.next(); frame; frame = await this.next()) {
      if (frame.type !== 'file' || frame.path !== path) break
      try {
        const written = await file.add(frame.data, frame.last)
        if (frame.last) return written
      } catch {
        break
      }
    }
    file.abort('the file did not come whole')
    return undefined
  }

  /** A guest's `db` call, answered by the origin (which checks it against its own grant too). */
  relay(call: HostCall): Promise<HostReply> {
    if (this.over) return Promise.resolve({ ok: false, error: 'the origin is gone' })
    const id = this.nextCall++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(id)
        resolve({ ok: false, error: 'the origin did not answer the db call in time' })
      }, HOST_CALL_TIMEOUT_MS)
      this.calls.set(id, (reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
      if (!this.send({ type: 'host', request_id: id, call })) this.answerAll('the origin is gone')
    })
  }

  /** A sign of life every third of the lease, naming the volunteer once one runs it. */
  heartbeat(now: number): void {
    if (this.over || now - this.lastBeat < this.offer.lease_ms / 3) return
    this.lastBeat = now
    const job = this.localId === undefined ? undefined : this.host.get(this.localId)
    this.send({ type: 'heartbeat', ...(job?.volunteer_id && { volunteer: job.volunteer_id }) })
  }

  /** The job ended here: the origin hears how (a native run's outputs first), and the lease is over. */
  finished(): void {
    const job = this.localId === undefined ? undefined : this.host.get(this.localId)
    if (!job || this.over) return
    this.over = true
    void this.report(job)
  }

  private async report(job: JobRecord): Promise<void> {
    if (job.job_type === 'native' && job.status === 'completed' && !(await this.sendOutputs(job)))
      return
    const volunteer = job.volunteer_id ?? 'unknown'
    const streams = {
      ...(job.stderr !== null && { stderr: job.stderr }),
      ...(job.exit_code !== null && { exit_code: job.exit_code }),
    }
    if (job.status === 'completed')
      this.send({
        type: 'result',
        result: job.result ?? null,
        output: job.output ?? '',
        volunteer,
        ...streams,
      })
    else if (job.error)
      this.send({
        type: 'error',
        error: job.error,
        output: job.output ?? undefined,
        volunteer,
        retryable: OURS.has(job.error.code),
        ...streams,
      })
    // The stream stays: the origin closes it or sends the next offer on it.
    this.answerAll('the job ended')
    this.endFollow()
  }

  /** A native run's outputs, each streamed to the origin; false when the stream closed. */
  private async sendOutputs(job: JobRecord): Promise<boolean> {
    const outputs = this.host.outputs
    if (!outputs) return true
    const { job_id, attempt } = this.offer
    for (const { name } of outputs.list(job.id)) {
      const body = await outputs.read(job.id, name)
      if (body && !(await sendFile(this.stream, 'output', name, body, { job_id, attempt })))
        return false
    }
    return true
  }

  private async fetchCode(): Promise<string | undefined> {
    const { offer } = this
    const known = this.host.knownCode(offer.code_hash)
    if (known !== undefined) return known
    this.send({ type: 'need_code', hash: offer.code_hash })
    const frame = await this.next()
    if (frame?.type !== 'code' || frame.hash !== offer.code_hash) return this.refuse('no code came')
    if ((await this.host.sha256(frame.code)) !== offer.code_hash)
      return this.refuse('the code does not match its hash')
    return frame.code
  }

  private async fetchModule(cid: string): Promise<boolean> {
    if (this.host.hasModule(cid)) return true
    this.send({ type: 'need_wasm', cid })
    const frame = await this.next()
    if (frame?.type !== 'wasm' || frame.cid !== cid) return !this.refuse('no module came')
    const bytes = fromBase64(frame.data)
    if ((await cidOf(bytes)) !== cid) return !this.refuse('the module does not match its id')
    this.host.putModule(cid, bytes)
    return true
  }

  /**
   * Follows the origin: db answers and cancels; its going away cancels the job here. Once the job
   * ended (its report sent), the read in progress is handed back for the stream's next lease.
   */
  private async follow(): Promise<NextRead | undefined> {
    for (;;) {
      const read = this.frames.next()
      const ended = await Promise.race([read.then(() => false), this.followEnds.then(() => true)])
      if (ended) return { read }
      const frame = this.parse(await read)
      if (!frame) break
      if (frame.type === 'host_reply') {
        this.calls.get(frame.request_id)?.(frame.reply)
        this.calls.delete(frame.request_id)
      } else if (frame.type === 'cancel') {
        break
      } else {
        this.stream.abort(`a ${frame.type} frame during the run`)
        break
      }
    }
    // Our side too: a stream is freed once both sides closed it.
    this.stream.close()
    if (this.over) return undefined
    this.over = true
    this.answerAll('the origin is gone')
    if (this.localId !== undefined) this.host.cancel(this.localId)
    return undefined
  }

  /**
   * The next frame from the origin, parsed; undefined at the end (the mesh ends a stream that
   * died or carried a frame over the cap or not JSON) or on a malformed one.
   */
  private async next(): Promise<OriginFrame | undefined> {
    return this.parse(await this.frames.next())
  }

  private parse({ value, done }: IteratorResult<unknown>): OriginFrame | undefined {
    if (done) return undefined
    const parsed = OriginFrame.safeParse(value)
    if (parsed.success) return parsed.data
    this.stream.abort('a malformed frame')
    return undefined
  }

  private send(frame: Record<string, unknown>): boolean {
    const { job_id, attempt } = this.offer
    return this.stream.send({ ...frame, job_id, attempt })
  }

  private refuse(message: string): undefined {
    this.over = true
    this.stream.send({ type: 'refused', job_id: this.offer.job_id, code: 'BAD_FRAME', message })
    this.stream.close()
    return undefined
  }

  private answerAll(error: string): void {
    for (const resolve of this.calls.values()) resolve({ ok: false, error })
    this.calls.clear()
  }
}
