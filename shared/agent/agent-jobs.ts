/**
 * The jobs a volunteer agent is running: each started on the executor (wasm modules fetched
 * first), its guest's host calls carried to the orchestrator and back, its progress passed on
 * through a gate (progress-gate.ts), its outcome reported once,
 * unless it was cancelled or the connection it came on is gone. The connection itself is the
 * agent's (volunteer-agent.ts); this side only needs a way to send.
 */
import type { JobFrame, VolunteerFrame } from '../protocol/frames'
import type { HostCall, HostReply } from '../protocol/host-call'
import type { AgentEvent, JobExecutor, RunnableJob } from './agent-ports'
import { reportFrame, type JobOutcome } from './job-report'
import { ModuleError, type ModuleCache } from './module-cache'
import { ProgressGate } from './progress-gate'

export interface AgentJobsOptions {
  executor: JobExecutor
  modules: ModuleCache
  /** Sends on the current socket; false when there is none open. */
  send: (frame: VolunteerFrame) => boolean
  onEvent?: (event: AgentEvent) => void
  /** A job ended and none is left running (a draining agent may close now). */
  onIdle: () => void
}

interface RunningJob {
  attempt: number
  abort: AbortController
  progress: ProgressGate
}

export class AgentJobs {
  private readonly running = new Map<string, RunningJob>()
  private readonly hostCalls = new Map<number, (reply: HostReply) => void>()
  private nextHostCall = 0
  completed = 0
  failed = 0

  constructor(private readonly options: AgentJobsOptions) {}

  get size(): number {
    return this.running.size
  }

  /** Runs `job` unless this attempt's job is already running. */
  start(job: JobFrame): void {
    if (this.running.has(job.job_id)) return
    const abort = new AbortController()
    const progress = this.progressGate(job, abort.signal)
    this.running.set(job.job_id, { attempt: job.attempt, abort, progress })
    void this.prepare(job)
      .then((runnable) =>
        this.options.executor.execute(runnable, abort.signal, (call) => this.callHost(job, call), {
          started: () => {
            const type = job.job_type
            this.options.onEvent?.({ type: 'job-started', jobId: job.job_id, jobType: type })
          },
          progress: (fraction, message) => progress.offer({ fraction, message }),
        }),
      )
      .catch((err: unknown): JobOutcome => ({
        ok: false,
        error: {
          code: 'WORKER_CRASHED',
          message: err instanceof Error ? err.message : String(err),
        },
        output: '',
        durationMs: 0,
        retryable: err instanceof ModuleError ? err.retryable : true,
      }))
      .then((outcome) => this.finish(job, abort, outcome))
  }

  /** The orchestrator no longer wants this attempt. */
  cancel(jobId: string, attempt: number, reason: string): void {
    const job = this.running.get(jobId)
    if (job && job.attempt === attempt) {
      job.progress.stop()
      job.abort.abort(reason)
    }
  }

  /** The orchestrator answered a host call. */
  hostReply(requestId: number, reply: HostReply): void {
    const pending = this.hostCalls.get(requestId)
    this.hostCalls.delete(requestId)
    pending?.(reply)
  }

  /** The connection is gone: every job stops, and no guest waits on a reply that cannot come. */
  abortAll(): void {
    for (const job of this.running.values()) {
      job.progress.stop()
      job.abort.abort('disconnected')
    }
    this.running.clear()
    for (const reply of this.hostCalls.values())
      reply({ ok: false, error: 'the connection to the orchestrator was lost' })
    this.hostCalls.clear()
  }

  /** wasm jobs need their module's bytes, from the cache or the orchestrator. */
  private async prepare(job: JobFrame): Promise<RunnableJob> {
    if (!job.wasm_cid) return job
    return { ...job, wasm_bytes: await this.options.modules.get(job.wasm_cid) }
  }

  /**
   * Reports go out while the attempt is still this agent's: once it is cancelled or its socket
   * gone, the orchestrator would take them for reports about a job it does not hold.
   */
  private progressGate(job: JobFrame, signal: AbortSignal): ProgressGate {
    return new ProgressGate(({ fraction, message }) => {
      if (signal.aborted) return
      this.options.onEvent?.({ type: 'job-progress', jobId: job.job_id, fraction, message })
      this.options.send({
        type: 'progress',
        job_id: job.job_id,
        attempt: job.attempt,
        fraction,
        ...(message !== undefined && { message }),
      })
    })
  }

  private finish(job: JobFrame, abort: AbortController, outcome: JobOutcome): void {
    const held = this.running.get(job.job_id)
    // The last word held back goes before the report, while the job is still held here.
    if (held?.abort === abort) {
      held.progress.flush()
      this.running.delete(job.job_id)
    }
    if (outcome.ok) this.completed++
    else this.failed++
    this.options.onEvent?.({
      type: 'job-finished',
      jobId: job.job_id,
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      ...(!outcome.ok && { error: outcome.error.message }),
    })
    // Cancelled by the orchestrator, or the socket it came on is gone: nobody wants this report.
    if (!abort.signal.aborted && held?.abort === abort) this.options.send(reportFrame(job, outcome))
    if (this.running.size === 0) this.options.onIdle()
  }

  /** Sends a guest's host call for `job` and waits for the orchestrator's reply. */
  private callHost(job: JobFrame, call: HostCall): Promise<HostReply> {
    const requestId = this.nextHostCall++
    return new Promise((resolve) => {
      this.hostCalls.set(requestId, resolve)
      const sent = this.options.send({
        type: 'host',
        job_id: job.job_id,
        attempt: job.attempt,
        request_id: requestId,
        call,
      })
      if (!sent) {
        this.hostCalls.delete(requestId)
        resolve({ ok: false, error: 'not connected to the orchestrator' })
      }
    })
  }
}
