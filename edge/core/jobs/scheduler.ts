/**
 * The job room: every state change of every job goes through here. pending → running → completed |
 * failed | cancelled, with re-queues when a volunteer vanishes or lets a deadline pass without a
 * report (see volunteers/deadline-backoff.ts for what that costs it). The store is written first;
 * memory (queues, counters, waiters) follows.
 */
import type { JobError, JobStatus, Runtime } from '../../../shared/protocol/job'
import { isFinished, JOB_STATUSES } from '../../../shared/protocol/job'
import type {
  JobErrorFrame,
  JobFrame,
  NativeRun,
  ResultFrame,
} from '../../../shared/protocol/frames'
import { formatSeconds } from '../../../shared/runtime/runtime'
import { AnswerStore } from '../store/answer-store'
import type { Finish, JobStore, ListQuery } from '../store/job-store'
import { MinHeap } from '../util/min-heap'
import { DeadlineBackoff } from '../volunteers/deadline-backoff'
import { capReport } from '../volunteers/report-caps'
import type { VolunteerSession } from '../volunteers/volunteer-session'
import { Dispatcher } from './dispatcher'
import { dbAccessFrom } from './executor-policy'
import { InvocationTable } from './invocations'
import type { JobRecord, NewJob, QuorumView } from './job-record'
import { PendingIndex, type PendingEntry } from './pending-index'
import { answerOf, quorumOf } from './quorum'
import { RedundantJobs } from './redundant-jobs'
import { Reputation, volunteerKey } from './reputation'
import { ReputationStore } from '../store/reputation-store'
import { Waiters } from './waiters'
import { NativeQueue, type NativeEntry } from '../services/native-queue'

export interface SchedulerOptions {
  /** Extra time past `timeout_seconds` before the orchestrator fails a job itself. */
  timeoutGraceMs: number
  /** Resolves when the writes so far are durable (see Sql.durable). */
  durable: (urgent?: boolean) => Promise<void>
  /** Native jobs: which runners fit a job, and what to send one (see services/). */
  native?: NativeJobs
  /** Put before every job id, so a host that shards jobs can tell where one lives. */
  idPrefix?: string
  /**
   * The host keeps volunteers' sockets across a restart (Durable Object hibernation): running jobs
   * stay running until `resume` learns which of their volunteers are still there.
   */
  resumable?: boolean
  /** See InvocationTable: asks the host for a volunteer when none here can run a function. */
  summon?: () => boolean
  /** Told of submissions, endings and dispatches (metrics). */
  observer?: SchedulerObserver
}

export interface SchedulerObserver {
  jobSubmitted(runtime: Runtime): void
  jobFinished(runtime: Runtime, state: JobStatus): void
  /** A job or function call was sent to a volunteer `waitMs` after it became pending. */
  dispatched(kind: 'job' | 'function', waitMs: number): void
}

export interface NativeJobs {
  /** Where a native job may run; undefined when its service is gone. */
  target(job: JobRecord): Pick<NativeEntry, 'peerId' | 'requirements'> | undefined
  /** The job frame's `native` part for an attempt, or why it cannot run any more. */
  run(job: JobRecord, jobToken: string): NativeRun | { error: string }
  /** More time past the deadline: a runner stops a process gracefully, then uploads its outputs. */
  extraGraceMs: number
}

interface Deadline {
  at: number
  id: string
  attempt: number
  /** A redundant job's copy: which volunteer's deadline this is. */
  session?: VolunteerSession
}

/** A volunteer held back after a missed deadline, until `at`. */
interface Hold {
  at: number
  session: VolunteerSession
}

export type CancelOutcome =
  { ok: true; job: JobRecord } | { ok: false; reason: 'not_found' | 'finished'; job?: JobRecord }

const CODE_CACHE_SIZE = 256

export class Scheduler {
  readonly pending = new PendingIndex()
  readonly dispatcher: Dispatcher
  /** Pending native jobs, which fit only some runners. */
  readonly native: NativeQueue
  /** The bearer token of each running native attempt (its outputs and files). */
  private readonly jobTokens = new Map<string, { attempt: number; token: string }>()
  /** Function invocations, which share the queue (ahead of jobs) and the volunteers. */
  readonly invocations: InvocationTable
  /** Volunteers by id, for the ones holding running jobs. */
  readonly sessions = new Map<string, VolunteerSession>()
  private readonly deadlines = new MinHeap<Deadline>((a, b) => a.at < b.at)
  /** Strikes and holds of volunteers that let deadlines pass (see volunteers/deadline-backoff.ts). */
  readonly backoff = new DeadlineBackoff()
  private readonly holds = new MinHeap<Hold>((a, b) => a.at < b.at)
  private readonly waiters = new Waiters()
  private readonly counts: Record<JobStatus, number>
  /** Jobs ever submitted per namespace: the total of a listing by namespace. */
  private readonly namespaceTotals: Map<string, number>
  /** Pending jobs per namespace, for the pending-jobs quota (function calls are not jobs). */
  private readonly pendingByNamespace = new Map<string, number>()
  private readonly progress = new Map<string, { fraction?: number; message?: string }>()
  private readonly codeCache = new Map<string, string>()
  /** Unfinished jobs of batches someone is waiting on. */
  private readonly batchRemaining = new Map<string, number>()
  /** Volunteers' standing from redundant jobs (see jobs/reputation.ts). */
  readonly reputation: Reputation
  /** Jobs with redundancy > 1, outside the pending index (see jobs/redundant-jobs.ts). */
  private readonly redundant: RedundantJobs
  private readonly answers: AnswerStore

  constructor(
    private readonly store: JobStore,
    private readonly options: SchedulerOptions,
  ) {
    this.native = new NativeQueue(
      () => this.sessions.values(),
      (entry, session) => this.startOn(entry, session),
    )
    this.dispatcher = new Dispatcher(
      this.pending,
      (entry, session) => this.startOn(entry, session),
      (session) => {
        this.native.fill(session)
        this.redundant.fill(session)
      },
    )
    this.answers = new AnswerStore(store.sql)
    this.reputation = new Reputation(new ReputationStore(store.sql))
    this.redundant = new RedundantJobs({
      store,
      answers: this.answers,
      reputation: this.reputation,
      sessions: () => this.sessions.values(),
      connected: (id) => this.sessions.has(id),
      launch: (job, session, entry, lost) => this.launch(job, session, entry, Date.now(), lost),
      end: (id, from, end, now) => this.end(id, from, end, now),
      move: (from, to) => this.move(from, to),
      notePending: (namespace, delta) => this.notePending(namespace, delta),
      refresh: (session) => this.refresh(session),
      missed: (session, now) => this.missed(session, now),
      taken: (session) => {
        if (session.freeSlots === 0) this.dispatcher.remove(session)
      },
    })
    this.invocations = new InvocationTable(
      this.pending,
      this.dispatcher,
      () => this.sessions.values(),
      options.timeoutGraceMs,
      options.summon,
      (session, now) => this.missed(session, now),
    )
    // Nothing survives a restart running: those jobs go back in the queue, keeping their attempts.
    if (!options.resumable) store.requeueAllRunning()
    this.counts = store.counts()
    this.namespaceTotals = store.namespaceTotals()
    for (const row of store.pending()) {
      this.notePending(row.namespace, 1)
      const entry = {
        id: row.id,
        seq: row.seq,
        runtime: row.job_type,
        namespace: row.namespace,
        executor: row.executor,
      }
      if (row.redundancy > 1) this.restoreRedundant(row.id, Date.now())
      else if (row.job_type !== 'native') this.pending.add(entry)
      else this.queueNative(entry, Date.now(), false)
    }
  }

  // ── submitting and reading ─────────────────────────────────────────────────

  submit(jobs: NewJob[], now = Date.now()): JobRecord[] {
    const prefix = this.options.idPrefix ?? ''
    const ids = jobs.map(() => prefix + crypto.randomUUID())
    const records = this.store.insert(jobs, ids, now)
    this.counts.pending += records.length
    for (const job of records)
      this.namespaceTotals.set(job.namespace, (this.namespaceTotals.get(job.namespace) ?? 0) + 1)
    for (const job of records) {
      this.options.observer?.jobSubmitted(job.job_type)
      this.notePending(job.namespace, 1)
      const entry = {
        id: job.id,
        seq: job.seq,
        runtime: job.job_type,
        namespace: job.namespace,
        queuedAt: now,
        executor: job.executor,
      }
      if (job.job_type === 'native') {
        this.queueNative(entry, now, true)
        continue
      }
      if (job.redundancy > 1) {
        this.redundant.add(job, now, now)
        continue
      }
      this.pending.add(entry)
      this.dispatcher.offer(entry)
    }
    // Some may have started already; report what is stored now.
    return records.map((r) =>
      this.pending.has(r.id) || this.native.has(r.id) ? r : (this.store.get(r.id) ?? r),
    )
  }

  /** The token a runner shows for this job's current attempt (its outputs and files). */
  jobToken(id: string): { attempt: number; token: string } | undefined {
    return this.jobTokens.get(id)
  }

  get(id: string): JobRecord | undefined {
    return this.store.get(id)
  }

  list(query: ListQuery): { jobs: JobRecord[]; total: number } {
    // Listing by status alone (GET /api/jobs?status=pending) takes its total from the in-memory
    // counts /stats shows, so a deep queue does not make every page count it again (issue 9).
    // Likewise a namespace's listing: its total is kept as jobs are submitted (none are deleted).
    const known =
      query.batchId !== undefined
        ? undefined
        : query.status !== undefined && query.namespace === undefined
          ? this.counts[query.status]
          : query.status === undefined && query.namespace !== undefined
            ? (this.namespaceTotals.get(query.namespace) ?? 0)
            : undefined
    return this.store.list(query, known)
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

  /** A redundant job's answers so far; undefined for redundancy 1. */
  quorumOf(job: JobRecord): QuorumView | undefined {
    if (job.redundancy <= 1) return undefined
    const answered = this.answers.list(job.id).filter((a) => a.state === 'answered')
    let agreeing = 0
    if (job.status === 'completed' || job.status === 'failed') {
      const agreed = job.error
        ? answerOf({ error: job.error })
        : answerOf({ result: job.result ?? null })
      agreeing = answered.filter((a) => a.answer === agreed).length
    } else {
      const counts = new Map<string | null, number>()
      for (const a of answered.filter((a) => a.attempt === job.attempts))
        counts.set(a.answer, (counts.get(a.answer) ?? 0) + 1)
      agreeing = Math.max(0, ...counts.values())
    }
    return {
      needed: quorumOf(job.redundancy),
      answers: answered.length,
      agreeing,
      running: this.redundant.running(job.id),
    }
  }

  progressOf(id: string): { fraction?: number; message?: string } | undefined {
    return this.progress.get(id)
  }

  /** Jobs of a namespace waiting for a volunteer. */
  pendingIn(namespace: string): number {
    return this.pendingByNamespace.get(namespace) ?? 0
  }

  statusCounts(): Record<JobStatus, number> {
    return { ...this.counts }
  }

  /** Resolves when the job ends or `ms` pass, whichever is first. */
  async waitFor(id: string, ms: number): Promise<JobRecord | undefined> {
    const job = this.store.get(id)
    if (!job || isFinished(job.status) || ms <= 0) return job
    await this.waiters.wait(id, ms)
    return this.store.get(id)
  }

  async waitForBatch(batchId: string, ms: number): Promise<Record<JobStatus, number>> {
    const counts = this.store.batchCounts(batchId)
    if (batchDone(counts) || ms <= 0) return counts
    // Counted down as its jobs end, so waiting costs nothing per job (no re-count of the batch).
    this.batchRemaining.set(batchId, counts.pending + counts.running)
    const key = `batch:${batchId}`
    await this.waiters.wait(key, ms)
    if (!this.waiters.has(key)) this.batchRemaining.delete(batchId)
    return this.store.batchCounts(batchId)
  }

  batchCounts(batchId: string): Record<JobStatus, number> {
    return this.store.batchCounts(batchId)
  }

  // ── volunteers' reports ────────────────────────────────────────────────────

  /**
   * A volunteer finished a job. False when it does not hold that attempt (late or forged). What it
   * reports is capped first (see volunteers/report-caps.ts); an answer (not a failure of its own)
   * forgives one of its strikes.
   */
  report(session: VolunteerSession, sent: ResultFrame | JobErrorFrame, now = Date.now()): boolean {
    const frame = capReport(sent)
    const accepted = this.take(session, frame, now)
    if (accepted && !(frame.type === 'error' && frame.retryable)) this.backoff.forgive(session, now)
    return accepted
  }

  private take(
    session: VolunteerSession,
    frame: ResultFrame | JobErrorFrame,
    now: number,
  ): boolean {
    if (this.invocations.owns(frame.job_id)) return this.invocations.report(session, frame)
    if (this.redundant.owns(frame.job_id)) {
      if (!this.redundant.report(session, frame, now)) return false
      this.refresh(session)
      return true
    }
    if (!session.holds(frame.job_id, frame.attempt)) return false
    session.drop(frame.job_id)
    if (frame.type === 'result') {
      session.completed++
      this.end(
        frame.job_id,
        'running',
        {
          status: 'completed',
          result: frame.result,
          output: frame.output,
          stderr: frame.stderr,
          exit_code: frame.exit_code,
        },
        now,
      )
    } else if (frame.retryable) {
      session.failed++
      this.retryOrFail(frame.job_id, `the volunteer failed to run it: ${frame.error.message}`, now)
    } else {
      session.failed++
      this.end(
        frame.job_id,
        'running',
        {
          status: 'failed',
          error: frame.error,
          output: frame.output ?? null,
          stderr: frame.stderr,
          exit_code: frame.exit_code,
        },
        now,
      )
    }
    this.refresh(session)
    return true
  }

  noteProgress(
    session: VolunteerSession,
    jobId: string,
    attempt: number,
    progress: { fraction?: number; message?: string },
  ): boolean {
    if (!session.holds(jobId, attempt)) return false
    this.progress.set(jobId, progress)
    return true
  }

  /** A volunteer is gone: what it held goes back in the queue (or fails after max_retries). */
  release(session: VolunteerSession, now = Date.now()): void {
    this.dispatcher.remove(session)
    this.sessions.delete(session.id)
    this.invocations.release(session)
    for (const id of session.running.keys()) if (this.invocations.owns(id)) session.drop(id)
    for (const jobId of session.running.keys()) {
      if (this.redundant.owns(jobId)) this.redundant.release(session, jobId, now)
      else this.retryOrFail(jobId, 'the volunteer running it disconnected', now)
    }
    this.reputation.forget(session)
    session.running.clear()
    session.deadlines.clear()
    session.owners.clear()
  }

  /**
   * After a restart that kept sockets: jobs whose volunteer is still connected keep running on it
   * (native ones are re-queued, since their output tokens lived in memory); the rest are re-queued.
   */
  resume(live: Iterable<VolunteerSession>, now = Date.now()): void {
    const sessions = new Map<string, VolunteerSession>()
    for (const session of live) if (session.state === 'active') sessions.set(session.id, session)
    for (const row of this.store.running()) {
      const session = row.volunteer_id ? sessions.get(row.volunteer_id) : undefined
      if (!session || row.job_type === 'native' || row.redundancy > 1) {
        if (!this.store.requeue(row.id)) continue
        this.move('running', 'pending')
        this.notePending(row.namespace, 1)
        // Which copies ran where lived in memory: the copies are cancelled and sent again.
        if (row.redundancy > 1) {
          this.cancelCopies(row.id, row.attempts, sessions.values())
          this.restoreRedundant(row.id, now)
          continue
        }
        const entry = {
          id: row.id,
          seq: row.seq,
          runtime: row.job_type,
          namespace: row.namespace,
          queuedAt: now,
          executor: row.executor,
        }
        if (row.job_type === 'native') this.queueNative(entry, now, false)
        else this.pending.add(entry)
        continue
      }
      const at = (row.started_at ?? now) + row.timeout_ms + this.options.timeoutGraceMs
      session.running.set(row.id, row.attempts)
      session.deadlines.set(row.id, at)
      session.own(row.id, row.namespace, dbAccessFrom(row.untrusted_db))
      this.deadlines.push({ at, id: row.id, attempt: row.attempts })
    }
    for (const session of sessions.values()) this.admit(session)
  }

  /**
   * When the earliest deadline of a running job falls, or a held volunteer may work again, for
   * hosts that wake on alarms.
   */
  nextDeadline(): number | undefined {
    const deadline = this.deadlines.peek()?.at
    const hold = this.holds.peek()?.at
    if (deadline === undefined || hold === undefined) return deadline ?? hold
    return Math.min(deadline, hold)
  }

  /**
   * A volunteer said hello, finished draining, or otherwise changed what it can take. A newcomer
   * takes the back-off its address or peer id has earned, so reconnecting does not forgive it.
   */
  admit(session: VolunteerSession, now = Date.now()): void {
    this.sessions.set(session.id, session)
    const held = this.backoff.inherit(session, now)
    if (held !== undefined) this.holds.push({ at: held, session })
    this.refresh(session)
  }

  /**
   * Fills a volunteer's free slots: copies of redundant jobs older than the oldest ordinary job it
   * could run first, then the dispatcher (ordinary jobs, then native and younger redundant ones).
   */
  refresh(session: VolunteerSession): void {
    if (this.redundant.waitingJobs > 0 && session.freeSlots > 0)
      this.redundant.fill(session, this.oldestPendingSeq(session))
    this.dispatcher.refresh(session)
  }

  private oldestPendingSeq(session: VolunteerSession): number {
    const caps = session.capabilities
    return (caps && this.pending.oldestFor(caps, session.trusted)?.seq) ?? Infinity
  }

  /** Tells live volunteers to stop copies sent before a restart (their reports would be late). */
  private cancelCopies(id: string, attempt: number, live: Iterable<VolunteerSession>): void {
    const running = new Set(
      this.answers
        .list(id)
        .filter((a) => a.state === 'running' && a.attempt === attempt)
        .map((a) => a.volunteer),
    )
    if (running.size === 0) return
    for (const session of live) {
      if (!running.has(volunteerKey(session))) continue
      session.drop(id) // remembered as held lately: a report racing the cancel is not a forgery
      session.send({ type: 'cancel', job_id: id, attempt, reason: 'cancelled' })
    }
  }

  private restoreRedundant(id: string, now: number): void {
    const job = this.store.get(id)
    if (job) this.redundant.add(job, now)
  }

  // ── cancelling and deadlines ───────────────────────────────────────────────

  cancel(id: string, now = Date.now()): CancelOutcome {
    const job = this.store.get(id)
    if (!job) return { ok: false, reason: 'not_found' }
    if (isFinished(job.status)) return { ok: false, reason: 'finished', job }
    const session = job.volunteer_id ? this.sessions.get(job.volunteer_id) : undefined
    if (this.redundant.owns(id)) {
      this.redundant.cancel(id)
    } else if (job.status === 'running' && session?.holds(id, job.attempts)) {
      session.drop(id)
      session.send({ type: 'cancel', job_id: id, attempt: job.attempts, reason: 'cancelled' })
      this.refresh(session)
    }
    this.end(
      id,
      job.status,
      { status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled by request' } },
      now,
    )
    return { ok: true, job: this.store.get(id) ?? job }
  }

  /**
   * Takes back every running job whose deadline (plus grace) passed with no report from its
   * volunteer: the volunteer failed, not the guest (an honest one reports TIMEOUT itself when its
   * sandbox stops the guest), so the job goes back in the queue (attempts + 1, MAX_RETRIES after
   * `max_retries`). Then lets held volunteers whose hold ended work again. Returns how many jobs
   * were taken back.
   */
  expire(now = Date.now()): number {
    this.invocations.expire(now)
    let expired = 0
    for (let top = this.deadlines.peek(); top && top.at <= now; top = this.deadlines.peek()) {
      this.deadlines.pop()
      if (top.session) {
        if (this.redundant.timeout(top.session, top.id, top.attempt, now)) expired++
        continue
      }
      const job = this.store.get(top.id)
      if (!job || job.status !== 'running' || job.attempts !== top.attempt) continue
      const session = job.volunteer_id ? this.sessions.get(job.volunteer_id) : undefined
      if (session?.holds(job.id, top.attempt)) {
        session.drop(job.id)
        session.send({ type: 'cancel', job_id: job.id, attempt: top.attempt, reason: 'timeout' })
        this.missed(session, now)
      }
      this.retryOrFail(job.id, this.silence(job.timeout_ms), now)
      if (session) this.refresh(session)
      expired++
    }
    this.endHolds(now)
    return expired
  }

  /** Why a job was taken back from a volunteer that said nothing by its deadline. */
  private silence(timeoutMs: number): string {
    return `the volunteer running it sent no report within its ${formatSeconds(timeoutMs)} timeout and ${formatSeconds(this.options.timeoutGraceMs)} of grace`
  }

  /** A volunteer let a deadline pass without a report: it is held back (and it counts). */
  private missed(session: VolunteerSession, now: number): void {
    session.missedDeadlines++
    this.holds.push({ at: this.backoff.miss(session, now), session })
    this.dispatcher.remove(session)
  }

  /** Held volunteers whose hold is over take work again. */
  private endHolds(now: number): void {
    for (let top = this.holds.peek(); top && top.at <= now; top = this.holds.peek()) {
      this.holds.pop()
      const { session } = top
      // A later miss moved its hold (a newer entry is in the heap), or it left meanwhile.
      if (session.heldUntil === undefined || session.heldUntil > now) continue
      session.heldUntil = undefined
      if (session.state !== 'closed' && this.sessions.get(session.id) === session)
        this.refresh(session)
    }
  }

  // ── transitions ────────────────────────────────────────────────────────────

  /** Queues a pending native job where the runners that fit it will find it. */
  private queueNative(entry: PendingEntry, now: number, offer: boolean): void {
    const job = this.store.get(entry.id)
    const target = job && this.options.native?.target(job)
    if (!target) {
      const error: JobError = { code: 'RUNTIME_UNAVAILABLE', message: 'its service was deleted' }
      this.end(entry.id, 'pending', { status: 'failed', error }, now)
      return
    }
    const native = { ...entry, ...target }
    this.native.add(native)
    if (offer) this.native.offer(native)
  }

  private startOn(entry: PendingEntry, session: VolunteerSession, now = Date.now()): boolean {
    if (this.invocations.owns(entry.id)) {
      const sent = this.invocations.start(entry, session, now)
      if (sent) this.noteDispatch('function', entry, now)
      return sent
    }
    if (entry.runtime === 'native') this.native.remove(entry.id)
    else this.pending.remove(entry.id)
    const job = this.store.start(entry.id, session.id, now)
    if (!job) return false
    this.move('pending', 'running')
    this.notePending(job.namespace, -1)
    let native: NativeRun | undefined
    if (job.job_type === 'native') {
      const token = randomToken()
      const run = this.options.native?.run(job, token) ?? { error: 'native jobs are not enabled' }
      if ('error' in run) {
        const error: JobError = { code: 'RUNTIME_UNAVAILABLE', message: run.error }
        this.end(job.id, 'running', { status: 'failed', error }, now)
        return true
      }
      native = run
      this.jobTokens.set(job.id, { attempt: job.attempts, token })
    }
    this.launch(
      job,
      session,
      entry,
      now,
      () => {
        session.drop(job.id)
        this.retryOrFail(job.id, 'the volunteer running it disconnected', Date.now())
      },
      native,
    )
    return true
  }

  /**
   * Sends an attempt: its deadline now, its frame once the start is durable. `lost` takes the job
   * back when the socket turns out to be gone.
   */
  private launch(
    job: JobRecord,
    session: VolunteerSession,
    entry: PendingEntry,
    now: number,
    lost: () => void,
    native?: NativeRun,
  ): void {
    const grace =
      this.options.timeoutGraceMs + (native ? (this.options.native?.extraGraceMs ?? 0) : 0)
    // A job queued behind others on the volunteer starts later: its deadline allows for that.
    const at = now + session.queueWait(now) + job.timeout_ms + grace
    session.running.set(job.id, job.attempts)
    session.deadlines.set(job.id, at)
    session.own(job.id, job.namespace, job.untrusted_db)
    this.deadlines.push({
      at,
      id: job.id,
      attempt: job.attempts,
      session: job.redundancy > 1 ? session : undefined,
    })
    const frame: JobFrame = {
      type: 'job',
      job_id: job.id,
      attempt: job.attempts,
      job_type: job.job_type,
      namespace: job.namespace,
      code: this.codeOf(job.code_hash),
      input_data: job.input_data,
      timeout_ms: job.timeout_ms,
      ...(job.wasm_cid && { wasm_cid: job.wasm_cid, args: job.args ?? [], env: job.env ?? {} }),
      ...(native && { native }),
    }
    // A volunteer only ever hears of an attempt that is on disk, so a crash cannot lose count.
    void this.options.durable(true).then(() => {
      if (!session.holds(job.id, job.attempts)) return // cancelled or timed out meanwhile
      if (session.send(frame)) return this.noteDispatch('job', entry, Date.now())
      // A socket that died before its close event: take the job back now.
      lost()
      this.refresh(session)
    })
  }

  private retryOrFail(id: string, why: string, now: number): void {
    const job = this.store.get(id)
    if (!job || job.status !== 'running') return
    if (job.attempts > job.max_retries) {
      const error: JobError = {
        code: 'MAX_RETRIES',
        message: `gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}: ${why}`,
      }
      this.end(id, 'running', { status: 'failed', error }, now)
      return
    }
    if (!this.store.requeue(id)) return
    this.move('running', 'pending')
    this.notePending(job.namespace, 1)
    this.progress.delete(id)
    this.jobTokens.delete(id)
    const entry = {
      id,
      seq: job.seq,
      runtime: job.job_type,
      namespace: job.namespace,
      queuedAt: now,
      executor: job.executor,
    }
    if (job.job_type === 'native') return this.queueNative(entry, now, true)
    this.pending.add(entry)
    this.dispatcher.offer(entry)
  }

  /** Ends a job that was `from` (the caller knows: it just read or held it). */
  private end(id: string, from: JobStatus, end: Finish, now: number): void {
    const ended = this.store.finish(id, end, now)
    if (!ended) return
    this.move(from, end.status)
    this.options.observer?.jobFinished(ended.job_type, end.status)
    if (from === 'pending') {
      this.pending.remove(id)
      this.native.remove(id)
      this.notePending(ended.namespace, -1)
    }
    this.jobTokens.delete(id)
    this.progress.delete(id)
    this.redundant.forget(id)
    this.waiters.wake(id)
    const batch = ended.batch_id
    const remaining = batch === null ? undefined : this.batchRemaining.get(batch)
    if (batch !== null && remaining !== undefined) {
      if (remaining <= 1) {
        this.batchRemaining.delete(batch)
        this.waiters.wake(`batch:${batch}`)
      } else {
        this.batchRemaining.set(batch, remaining - 1)
      }
    }
  }

  /** Jobs restored after a restart have no `queuedAt`: their wait is not known, so not counted. */
  private noteDispatch(kind: 'job' | 'function', entry: PendingEntry, now: number): void {
    if (entry.queuedAt !== undefined) this.options.observer?.dispatched(kind, now - entry.queuedAt)
  }

  private notePending(namespace: string, delta: number): void {
    const count = (this.pendingByNamespace.get(namespace) ?? 0) + delta
    if (count > 0) this.pendingByNamespace.set(namespace, count)
    else this.pendingByNamespace.delete(namespace)
  }

  private move(from: JobStatus, to: JobStatus): void {
    this.counts[from]--
    this.counts[to]++
  }
}

export function batchDone(counts: Record<JobStatus, number>): boolean {
  return JOB_STATUSES.every((s) => isFinished(s) || counts[s] === 0)
}

/** 32 random bytes as hex: unguessable, and only ever valid for one attempt. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
