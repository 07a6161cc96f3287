/**
 * The job engine: every state change of every job goes through here. pending → running →
 * completed | failed | cancelled, with re-queues when a site vanishes or lets a deadline pass
 * without a report. The store is written first; memory (queues, counters, waiters) follows.
 * Where work runs is not its business: it talks to placements (placement/placement.ts) only, and
 * takes a list of them; the volunteer pool (volunteers/volunteer-pool.ts) is the first.
 */
import type { JobError, JobStatus } from '../../../shared/protocol/job'
import { isFinished } from '../../../shared/protocol/job'
import type {
  Attempt,
  Placement,
  PlacementEvents,
  PlacementFactory,
  Site,
} from '../placement/placement'
import type { Progress } from '../placement/work'
import { AnswerStore } from '../store/answer-store'
import type { Finish, JobStore, ListQuery } from '../store/job-store'
import { ReputationStore } from '../store/reputation-store'
import { Dispatch } from './dispatch'
import { InvocationTable } from './invocations'
import { JobCounts } from './job-counts'
import { JobQueue } from './job-queue'
import type { JobRecord, NewJob, QuorumView } from './job-record'
import { JobRuns } from './job-runs'
import { JobWaits } from './job-waits'
import { laneOf, pendingEntry, type PendingEntry } from './lanes'
import { Launcher } from './launcher'
import { quorumView } from './quorum-view'
import { Recovery } from './recovery'
import { RedundantJobs } from './redundant-jobs'
import { Reputation } from './reputation'
import { redactProgress, redactReport } from '../secrets/redact'
import type { SecretValues } from '../secrets/secret-service'
import type { CancelOutcome, FinishedJob, SchedulerOptions } from './scheduler-types'

export { batchDone } from './job-waits'
export type { CancelOutcome, FinishedJob, SchedulerOptions } from './scheduler-types'

const CODE_CACHE_SIZE = 256

export class Scheduler<P extends readonly Placement[] = readonly Placement[]> {
  /** Where work runs, in the order new work is offered to them. */
  readonly placements: P
  /** Pending plain jobs and function calls. */
  readonly pending: JobQueue['pending']
  /** Pending native jobs, which fit only some runners. */
  readonly native: JobQueue['native']
  /** Function invocations, which share the queue (ahead of jobs) and the sites. */
  readonly invocations: InvocationTable
  /** Volunteers' standing from redundant jobs (see jobs/reputation.ts). */
  readonly reputation: Reputation
  private readonly queue = new JobQueue()
  private readonly counts: JobCounts
  private readonly waits: JobWaits
  private readonly answers: AnswerStore
  private readonly launcher: Launcher
  private readonly jobs: JobRuns
  /** Jobs with redundancy > 1, outside the queue (see jobs/redundant-jobs.ts). */
  private readonly redundant: RedundantJobs
  private readonly dispatch: Dispatch
  private readonly recovery: Recovery
  private readonly finishedListeners = new Set<(job: FinishedJob) => void>()
  private readonly codeCache = new Map<string, string>()

  /** What placements tell the scheduler. */
  private readonly events: PlacementEvents = {
    room: (site, placement) => this.dispatch.room(site, placement),
    started: (attempt, now) => this.noteDispatch(attempt, now),
    progress: (attempt, progress) =>
      this.noteProgress(
        attempt,
        attempt.secrets ? redactProgress(progress, attempt.secrets) : progress,
      ),
    reported: (attempt, raw, now) => {
      if (attempt.done) return false
      // Whatever the work sent back loses the secret values it was given, before it is kept.
      const report = attempt.secrets ? redactReport(raw, attempt.secrets) : raw
      if (attempt.kind === 'call') return this.invocations.reported(attempt, report)
      if (attempt.kind === 'copy') return this.redundant.reported(attempt, report, now)
      return this.jobs.reported(attempt, report, now)
    },
    lost: (attempt, cause, now) => {
      if (attempt.done) return
      if (attempt.kind === 'call') this.invocations.lost(attempt, cause)
      else if (attempt.kind === 'copy') this.redundant.lost(attempt, now)
      else this.jobs.lost(attempt, now, cause === 'refused')
    },
    left: (site) => this.reputation.forget(site),
  }

  constructor(
    private readonly store: JobStore,
    private readonly options: SchedulerOptions,
    /** Builds the placements with the scheduler's events; without it work only queues. */
    place?: PlacementFactory<P>,
  ) {
    this.placements = place ? place(this.events) : ([] as readonly Placement[] as P)
    this.pending = this.queue.pending
    this.native = this.queue.native
    // Nothing survives a restart running: those jobs go back in the queue, keeping their attempts.
    if (!options.resumable) store.requeueAllRunning()
    this.counts = new JobCounts(store)
    this.waits = new JobWaits(store)
    this.answers = new AnswerStore(store.sql)
    this.reputation = new Reputation(new ReputationStore(store.sql))
    const end = (id: string, from: JobStatus, finish: Finish, now: number) =>
      this.end(id, from, finish, now)
    this.launcher = new Launcher({
      timeoutGraceMs: options.timeoutGraceMs,
      nativeGraceMs: options.native?.extraGraceMs ?? 0,
      durable: options.durable,
      codeOf: (hash) => this.codeOf(hash),
    })
    this.jobs = new JobRuns({
      store,
      counts: this.counts,
      launcher: this.launcher,
      end,
      requeued: (entry, now) => this.enqueue(entry, now, true),
      native: options.native,
      codeOf: (hash) => this.codeOf(hash),
      timeoutGraceMs: options.timeoutGraceMs,
      secrets: options.secrets,
    })
    this.redundant = new RedundantJobs({
      store,
      counts: this.counts,
      answers: this.answers,
      reputation: this.reputation,
      launcher: this.launcher,
      end,
      seat: (work, admit) => this.dispatch.seat(work, admit),
      connected: (id) => this.placements.some((p) => p.site(id) !== undefined),
    })
    this.dispatch = new Dispatch(this.queue, this.redundant, this.placements, (entry, site, p) =>
      this.start(entry, site, p),
    )
    this.invocations = new InvocationTable({
      enqueue: (entry) => this.enqueue(entry, Date.now(), true),
      unqueue: (entry) => this.queue.remove(entry),
      canRun: (work) => this.placements.some((p) => p.canRun(work)),
      graceMs: options.timeoutGraceMs,
      summon: options.summon,
    })
    this.recovery = new Recovery({
      store,
      counts: this.counts,
      answers: this.answers,
      placements: this.placements,
      redundant: this.redundant,
      jobs: this.jobs,
      launcher: this.launcher,
      enqueue: (entry, now) => this.enqueue(entry, now, false),
      timeoutGraceMs: options.timeoutGraceMs,
    })
    this.recovery.restore(Date.now())
  }

  // ── submitting and reading ─────────────────────────────────────────────────

  submit(jobs: NewJob[], now = Date.now()): JobRecord[] {
    const prefix = this.options.idPrefix ?? ''
    const ids = jobs.map((job) => job.id ?? prefix + crypto.randomUUID())
    const records = this.store.insert(jobs, ids, now)
    for (const job of records) this.counts.submitted(job.namespace)
    for (const job of records) {
      this.options.observer?.jobSubmitted(job.job_type)
      if (laneOf(job) === 'redundant') this.redundant.add(job, now, now)
      else this.enqueue(pendingEntry(job, now), now, true)
    }
    // Some may have started already; report what is stored now.
    return records.map((r) => (this.queue.has(r.id) ? r : (this.store.get(r.id) ?? r)))
  }

  /**
   * Tells `listener` of every job that ends from now on, once its end is stored (in a microtask
   * after the transition): how a consumer such as a workflow follows the jobs it submitted and
   * submits the next. Returns the way to stop listening.
   */
  onFinished(listener: (job: FinishedJob) => void): () => void {
    this.finishedListeners.add(listener)
    return () => this.finishedListeners.delete(listener)
  }

  /** The token a runner shows for this job's current attempt (its outputs and files). */
  jobToken(id: string): { attempt: number; token: string } | undefined {
    return this.jobs.jobToken(id)
  }

  get(id: string): JobRecord | undefined {
    return this.store.get(id)
  }

  list(query: ListQuery): { jobs: JobRecord[]; total: number } {
    return this.store.list(query, this.counts.knownTotal(query))
  }

  /** Stores a module uploaded on its own or inline with a job. */
  putModule(cid: string, bytes: Uint8Array, now = Date.now()): boolean {
    return this.store.putModule(cid, bytes, now)
  }

  module(cid: string): Uint8Array | undefined {
    return this.store.module(cid)
  }

  hasModule(cid: string): boolean {
    return this.store.hasModule(cid)
  }

  /** The source of a job's code, cached because batches share one program. */
  codeOf(hash: string): string {
    let code = this.codeCache.get(hash)
    if (code === undefined) {
      code = this.store.code(hash) ?? ''
      if (this.codeCache.size >= CODE_CACHE_SIZE)
        this.codeCache.delete(this.codeCache.keys().next().value as string)
      this.codeCache.set(hash, code)
    }
    return code
  }

  /** Jobs not yet ended in namespaces that start with `prefix`. */
  unfinishedIn(prefix: string): string[] {
    return this.store.unfinishedIn(prefix)
  }

  /** Code kept here under this hash, if any (a peer's offer names code by hash). */
  knownCode(hash: string): string | undefined {
    return this.codeCache.get(hash) || this.store.code(hash)
  }

  /** A redundant job's answers so far; undefined for redundancy 1. */
  quorumOf(job: JobRecord): QuorumView | undefined {
    if (laneOf(job) !== 'redundant') return undefined
    return quorumView(job, this.answers.list(job.id), this.redundant.running(job.id))
  }

  /** What the running attempt of a job was sent of its secrets (its uploads are redacted of them). */
  secretsOf(id: string): SecretValues | undefined {
    return this.jobs.secretsOf(id)
  }

  progressOf(id: string): Progress | undefined {
    return this.jobs.progressOf(id) ?? this.redundant.progressOf(id)
  }

  /** Jobs of a namespace waiting for a site. */
  pendingIn(namespace: string): number {
    return this.counts.pendingIn(namespace)
  }

  statusCounts(): Record<JobStatus, number> {
    return this.counts.statusCounts()
  }

  /** Resolves when the job ends or `ms` pass, whichever is first. */
  waitFor(id: string, ms: number): Promise<JobRecord | undefined> {
    return this.waits.waitFor(id, ms)
  }

  waitForBatch(batchId: string, ms: number): Promise<Record<JobStatus, number>> {
    return this.waits.waitForBatch(batchId, ms)
  }

  batchCounts(batchId: string): Record<JobStatus, number> {
    return this.store.batchCounts(batchId)
  }

  // ── cancelling, deadlines, restarts ────────────────────────────────────────

  cancel(id: string, now = Date.now()): CancelOutcome {
    const job = this.store.get(id)
    if (!job) return { ok: false, reason: 'not_found' }
    if (isFinished(job.status)) return { ok: false, reason: 'finished', job }
    if (this.redundant.owns(id)) this.redundant.cancel(id)
    else if (job.status === 'running') this.jobs.cancel(id, now)
    const error: JobError = { code: 'CANCELLED', message: 'cancelled by request' }
    this.end(id, job.status, { status: 'cancelled', error }, now)
    return { ok: true, job: this.store.get(id) ?? job }
  }

  /**
   * Takes back every running job whose deadline (plus grace) passed with no report from its site
   * (see JobRuns.timedOut), fails function calls past theirs, and lets placements wake what waited
   * (held volunteers whose hold ended). Returns how many jobs were taken back.
   */
  expire(now = Date.now()): number {
    this.invocations.expire(now)
    let expired = 0
    for (const attempt of this.launcher.expired(now)) {
      const taken =
        attempt.kind === 'copy'
          ? this.redundant.timedOut(attempt, now)
          : this.jobs.timedOut(attempt, now)
      if (taken) expired++
    }
    for (const placement of this.placements) placement.tick(now)
    return expired
  }

  /** When the earliest deadline falls, or a placement needs waking, for hosts that wake on alarms. */
  nextDeadline(): number | undefined {
    let next = this.launcher.nextDeadline()
    for (const placement of this.placements) {
      const at = placement.wakeAt()
      if (at !== undefined && (next === undefined || at < next)) next = at
    }
    return next
  }

  /**
   * After a restart that kept sockets (Durable Object hibernation), with the host's restored
   * connections: see jobs/recovery.ts.
   */
  resume(live: Iterable<Site>, now = Date.now()): void {
    this.recovery.resume(live, now)
  }

  // ── transitions ────────────────────────────────────────────────────────────

  /** Queues pending work (a native job where the runners that fit it look) and maybe offers it. */
  private enqueue(entry: PendingEntry, now: number, offer: boolean): void {
    if (entry.lane === 'native') {
      const job = this.store.get(entry.id)
      const needs = job && this.options.native?.target(job)
      if (!needs) {
        const error: JobError = { code: 'RUNTIME_UNAVAILABLE', message: 'its service was deleted' }
        this.end(entry.id, 'pending', { status: 'failed', error }, now)
        return
      }
      entry.native = needs
    }
    this.queue.add(entry)
    if (offer) this.dispatch.offer(entry)
  }

  private start(entry: PendingEntry, site: Site, placement: Placement, now = Date.now()): boolean {
    this.queue.remove(entry)
    if (entry.lane === 'call') return this.invocations.start(entry, site, placement, now)
    return this.jobs.start(entry, site, placement, now)
  }

  /** Ends a job that was `from` (the caller knows: it just read or held it). */
  private end(id: string, from: JobStatus, end: Finish, now: number): void {
    const ended = this.store.finish(id, end, now)
    if (!ended) return
    this.counts.moved(from, end.status, ended.namespace)
    this.options.observer?.jobFinished(ended.job_type, end.status)
    if (from === 'pending') this.queue.drop(id)
    this.jobs.forget(id)
    this.redundant.forget(id)
    this.waits.ended(id, ended.batch_id)
    if (this.finishedListeners.size === 0) return
    // Told once the transition is over, so a listener that submits jobs starts a fresh one.
    const finished: FinishedJob = { id, status: end.status, ...ended }
    queueMicrotask(() => {
      for (const listener of this.finishedListeners) listener(finished)
    })
  }

  /** Kept in memory only: progress matters while a job runs, and a restart re-runs it anyway. */
  private noteProgress(attempt: Attempt, progress: Progress): void {
    attempt.progress = { ...progress, at: Date.now() }
    if (attempt.kind === 'copy') this.redundant.progress(attempt)
  }

  /** Work restored after a restart has no `queuedAt`: its wait is not known, so not counted. */
  private noteDispatch(attempt: Attempt, now: number): void {
    const kind = attempt.kind === 'call' ? 'function' : 'job'
    if (attempt.queuedAt !== undefined)
      this.options.observer?.dispatched(kind, now - attempt.queuedAt)
  }
}
