/**
 * Jobs with `redundancy` N > 1: each round sends N copies to N distinct sites (by `Site.key`, in
 * good standing) and the job ends once a strict majority of them give the same answer (see
 * redundancy-tally.ts and quorum.ts). Copies lost to a disconnect, a site's own failure or its
 * silence past the deadline are sent again within the round.
 *
 * The job's row is `running` while at least one copy runs and `pending` otherwise; `attempts` is
 * the round. Answers are stored as they come (AnswerStore), so a restart decides again from them.
 * Ordinary jobs never come here: redundancy 1 keeps the dispatcher's fast path.
 */
import { formatSeconds } from '../../../shared/runtime/runtime'
import type { Attempt, Placement, Report, Site } from '../placement/placement'
import type { Progress } from '../placement/work'
import type { AnswerStore } from '../store/answer-store'
import type { Finish, JobStore } from '../store/job-store'
import type { JobCounts } from './job-counts'
import type { JobRecord } from './job-record'
import { pendingEntry, type PendingEntry } from './lanes'
import type { Launcher } from './launcher'
import { answerOf } from './quorum'
import { RedundancyTally, type Outcome } from './redundancy-tally'
import { isLasting, type Reputation } from './reputation'
import type { End } from './scheduler-types'

/** A site with room, and the placement it belongs to. */
export interface Seat {
  site: Site
  placement: Placement
}

export interface CopyDeps {
  store: JobStore
  counts: JobCounts
  answers: AnswerStore
  reputation: Reputation
  launcher: Launcher
  end: End
  /** A site with room now for this work that also passes `admit`. */
  seat(work: PendingEntry, admit: (site: Site) => boolean): Seat | undefined
  /** Whether a site with this id is still connected. */
  connected(siteId: string): boolean
}

interface RedundantJob {
  entry: PendingEntry
  tally: RedundancyTally
  timeoutMs: number
  /** Copies running, by site key. */
  out: Map<string, Attempt>
  /** Whether the job's row is `running`. */
  running: boolean
  /** Whether it is in the queue of jobs with copies waiting. */
  queued: boolean
  /** What a copy last said of its progress. */
  progress?: Progress
}

export class RedundantJobs {
  private readonly jobs = new Map<string, RedundantJob>()
  /** Jobs with copies waiting, oldest first. */
  private queue: RedundantJob[] = []

  constructor(private readonly deps: CopyDeps) {}

  owns(id: string): boolean {
    return this.jobs.has(id)
  }

  get waitingJobs(): number {
    return this.queue.length
  }

  /** Copies of a job running now. */
  running(id: string): number {
    return this.jobs.get(id)?.out.size ?? 0
  }

  progressOf(id: string): Progress | undefined {
    return this.jobs.get(id)?.progress
  }

  /** A new job, or one found pending at startup (its answers so far are in the store). */
  add(job: JobRecord, now: number, queuedAt?: number): void {
    // A job that never started has no answers (copies start before anything is stored).
    const stored = job.attempts > 0 ? this.deps.answers.list(job.id) : []
    const tally = new RedundancyTally(job.redundancy, job.max_retries, job.attempts, stored)
    const rj: RedundantJob = {
      entry: pendingEntry(job, queuedAt),
      tally,
      timeoutMs: job.timeout_ms,
      out: new Map(),
      running: job.status === 'running',
      queued: false,
    }
    this.jobs.set(job.id, rj)
    if (tally.answers.length) this.act(rj, tally.decide(0), now)
    else this.requeue(rj)
  }

  /** A site has room: gives it copies, oldest first (only of jobs older than `beforeSeq`). */
  fill(site: Site, placement: Placement, beforeSeq = Infinity): void {
    if (this.queue.length === 0) return
    if (!this.deps.reputation.trusted(site.standing)) return
    while (site.room > 0) {
      const rj = this.queue.find((j) => j.entry.seq < beforeSeq && this.fits(j, site))
      if (!rj || !this.start(rj, site, placement)) return
    }
  }

  /** A site reported on its copy; false when it no longer holds it. */
  reported(attempt: Attempt, report: Report, now: number): boolean {
    const rj = this.take(attempt)
    if (!rj) return false
    const key = attempt.site.key
    if (report.type === 'error' && report.retryable) {
      const why = `the volunteer failed to run it: ${report.error.message}`
      this.lose(rj, key, attempt.attempt, why, now)
      return true
    }
    const streams = {
      output: report.output ?? null,
      stderr: report.stderr,
      exit_code: report.exit_code,
    }
    const [answer, finish]: [string, Finish] =
      report.type === 'result'
        ? [
            answerOf({ result: report.result }),
            { status: 'completed', result: report.result, ...streams },
          ]
        : [answerOf({ error: report.error }), { status: 'failed', error: report.error, ...streams }]
    const standing = attempt.site.standing
    this.deps.answers.put(
      rj.entry.id,
      {
        volunteer: key,
        attempt: attempt.attempt,
        state: 'answered',
        answer,
        finish,
        ...(standing !== key && { standing }),
      },
      now,
    )
    const who = { key, standing, attempt: attempt.attempt, answer, finish }
    this.act(rj, rj.tally.answered(who, rj.out.size), now)
    return true
  }

  /**
   * A copy's deadline passed with no report: the site failed, not the guest (honest ones report
   * TIMEOUT themselves, and a job that times out everywhere fails so), so the copy is lost and
   * sent to someone else.
   */
  timedOut(attempt: Attempt, now: number): boolean {
    const rj = this.jobs.get(attempt.id)
    if (!rj || rj.out.get(attempt.site.key) !== attempt) return false
    attempt.placement.cancel(attempt, 'timeout', now)
    this.take(attempt)
    const why = `the volunteer running a copy sent no report within its ${formatSeconds(rj.timeoutMs)} timeout and the grace`
    this.lose(rj, attempt.site.key, attempt.attempt, why, now)
    return true
  }

  /** A site left (or never got the copy): the copy is sent to another. */
  lost(attempt: Attempt, now: number): void {
    const rj = this.take(attempt)
    if (rj)
      this.lose(rj, attempt.site.key, attempt.attempt, 'the volunteer running it disconnected', now)
  }

  progress(attempt: Attempt): void {
    const rj = this.jobs.get(attempt.id)
    if (rj && attempt.progress) rj.progress = attempt.progress
  }

  /** Stops every copy; the caller ends the job. */
  cancel(id: string): void {
    const rj = this.jobs.get(id)
    if (rj) this.stop(rj)
    this.forget(id)
  }

  /** The job ended (by us or by the scheduler): nothing more to track. */
  forget(id: string): void {
    const rj = this.jobs.get(id)
    if (!rj) return
    this.jobs.delete(id)
    this.unqueue(rj)
  }

  // ── copies ────────────────────────────────────────────────────────────────

  /** Takes a copy's attempt out of its job; the job, or undefined when it was not out. */
  private take(attempt: Attempt): RedundantJob | undefined {
    const rj = this.jobs.get(attempt.id)
    if (!rj || rj.out.get(attempt.site.key) !== attempt) return undefined
    rj.out.delete(attempt.site.key)
    attempt.done = true
    return rj
  }

  /** Whether a site may take a copy of this job: it fits, and has not had one of it. */
  private fits(rj: RedundantJob, site: Site): boolean {
    return site.fits(rj.entry) && this.distinct(rj, site)
  }

  private distinct(rj: RedundantJob, site: Site): boolean {
    const key = site.key
    return !rj.out.has(key) && !rj.tally.excluded.has(key) && !site.has(rj.entry.id)
  }

  /** Sends the job's waiting copies to sites with room, first fit. */
  private offer(rj: RedundantJob): void {
    const { reputation } = this.deps
    const admit = (site: Site) => reputation.trusted(site.standing) && this.distinct(rj, site)
    while (rj.tally.waiting > 0 && this.jobs.has(rj.entry.id)) {
      const seat = this.deps.seat(rj.entry, admit)
      if (!seat || !this.start(rj, seat.site, seat.placement)) return
    }
  }

  private start(rj: RedundantJob, site: Site, placement: Placement, now = Date.now()): boolean {
    const { store, counts, answers, launcher } = this.deps
    const job = store.startCopy(rj.entry.id, site.id, rj.tally.round, now)
    if (!job) {
      this.forget(rj.entry.id)
      return false
    }
    if (!rj.running) {
      rj.running = true
      counts.moved('pending', 'running', rj.entry.namespace)
    }
    const key = site.key
    answers.put(
      rj.entry.id,
      { volunteer: key, attempt: rj.tally.round, state: 'running', answer: null, finish: null },
      now,
    )
    rj.tally.waiting--
    if (rj.tally.waiting === 0) this.unqueue(rj)
    const queuedAt = rj.entry.queuedAt
    rj.out.set(key, launcher.launch(job, 'copy', site, placement, now, { queuedAt }))
    // Dispatch latency counts once, for the first copy sent.
    delete rj.entry.queuedAt
    return true
  }

  private lose(rj: RedundantJob, key: string, attempt: number, why: string, now: number): void {
    this.deps.answers.put(
      rj.entry.id,
      { volunteer: key, attempt, state: 'lost', answer: null, finish: null },
      now,
    )
    this.act(rj, rj.tally.lost(key, attempt, why, rj.out.size), now)
  }

  private act(rj: RedundantJob, outcome: Outcome, now: number): void {
    if (outcome.kind === 'wait') return this.requeue(rj)
    if (outcome.kind === 'next-round') {
      this.stop(rj)
      rj.tally.nextRound()
      return this.requeue(rj)
    }
    if (outcome.agreed !== undefined) this.judge(rj, outcome.agreed)
    this.stop(rj)
    this.forget(rj.entry.id)
    this.deps.end(rj.entry.id, rj.running ? 'running' : 'pending', outcome.end, now)
  }

  /** Every answer, of every round, against the agreed one. */
  private judge(rj: RedundantJob, agreed: string): void {
    const { reputation, connected } = this.deps
    // Session ids never come back: a departed session's standing would only take memory.
    for (const a of rj.tally.answers)
      if (isLasting(a.standing) || connected(a.standing))
        reputation.note(a.standing, a.answer === agreed)
  }

  /** Waiting copies go in the queue (and out at once if sites are free); none running: pending. */
  private requeue(rj: RedundantJob): void {
    if (rj.out.size === 0 && rj.running && this.deps.store.requeue(rj.entry.id)) {
      rj.running = false
      this.deps.counts.moved('running', 'pending', rj.entry.namespace)
    }
    if (rj.tally.waiting === 0 || rj.queued) return
    rj.queued = true
    // New jobs (the common case, batches included) go at the end without a search.
    const last = this.queue.at(-1)
    const at =
      !last || last.entry.seq < rj.entry.seq
        ? -1
        : this.queue.findIndex((j) => j.entry.seq > rj.entry.seq)
    if (at < 0) this.queue.push(rj)
    else this.queue.splice(at, 0, rj)
    this.offer(rj)
  }

  /** Cancels the copies still running, and takes the job out of the queue. */
  private stop(rj: RedundantJob): void {
    this.unqueue(rj)
    rj.tally.waiting = 0
    const held = [...rj.out.values()]
    rj.out.clear()
    const now = Date.now()
    for (const attempt of held) {
      attempt.done = true
      attempt.placement.cancel(attempt, 'cancelled', now)
    }
  }

  private unqueue(rj: RedundantJob): void {
    if (!rj.queued) return
    rj.queued = false
    const at = this.queue.indexOf(rj)
    if (at >= 0) this.queue.splice(at, 1)
  }
}
