/**
 * Jobs with `redundancy` N > 1: each round sends N copies to N distinct volunteers (by
 * `volunteerKey`, in good standing) and the job ends once a strict majority of them give the same
 * answer (see quorum.ts). A round that can no longer agree is cancelled and a new round goes to
 * volunteers that have not answered yet, up to `max_retries` more rounds. Copies lost to a
 * disconnect, a volunteer's own failure or its silence past the deadline are sent again within
 * the round.
 *
 * The job's row is `running` while at least one copy runs and `pending` otherwise; `attempts` is
 * the round. Answers are stored as they come (AnswerStore), so a restart decides again from them.
 * Ordinary jobs never come here: redundancy 1 keeps the dispatcher's fast path.
 */
import { acceptsNamespace } from '../../../shared/protocol/capabilities'
import type { JobError, JobStatus, Runtime } from '../../../shared/protocol/job'
import type { JobErrorFrame, ResultFrame } from '../../../shared/protocol/frames'
import { formatSeconds } from '../../../shared/runtime/runtime'
import type { AnswerStore } from '../store/answer-store'
import type { Finish, JobStore } from '../store/job-store'
import type { VolunteerSession } from '../volunteers/volunteer-session'
import type { JobRecord } from './job-record'
import { trustedOnly, type PendingEntry } from './pending-index'
import { answerOf, decide, quorumOf } from './quorum'
import { isLasting, reputationKey, volunteerKey, type Reputation } from './reputation'

/** What the scheduler does for copies (it owns the counts, the deadlines and the frames). */
export interface CopyHost {
  store: JobStore
  answers: AnswerStore
  reputation: Reputation
  sessions(): Iterable<VolunteerSession>
  /** Whether a volunteer with this session id is still connected. */
  connected(sessionId: string): boolean
  /** Sends a copy (deadline, then the frame once durable); `lost` runs if the socket is gone. */
  launch(job: JobRecord, session: VolunteerSession, entry: PendingEntry, lost: () => void): void
  end(id: string, from: JobStatus, end: Finish, now: number): void
  move(from: JobStatus, to: JobStatus): void
  notePending(namespace: string, delta: number): void
  /** A volunteer's slots changed outside the dispatcher: re-file or fill it. */
  refresh(session: VolunteerSession): void
  /** A volunteer let a copy's deadline pass without a report: hold it back. */
  missed(session: VolunteerSession, now: number): void
  /** A copy took a slot of a volunteer the dispatcher may have filed as free. */
  taken(session: VolunteerSession): void
}

interface Answer {
  key: string
  /** The key its answer is judged under (reputationKey; may be `key`). */
  standing: string
  attempt: number
  answer: string
  finish: Finish
}

interface RedundantJob {
  entry: PendingEntry
  copies: number
  maxRetries: number
  timeoutMs: number
  round: number
  /** Copies of this round not yet sent. */
  waiting: number
  /** Copies running, by volunteer key. */
  out: Map<string, VolunteerSession>
  /** Every answer of every round. */
  answers: Answer[]
  /** Volunteers that answered or lost a copy: never given this job again. */
  excluded: Set<string>
  losses: number
  /** Whether the job's row is `running`. */
  running: boolean
  /** Whether it is in the queue of jobs with copies waiting. */
  queued: boolean
}

export class RedundantJobs {
  private readonly jobs = new Map<string, RedundantJob>()
  /** Jobs with copies waiting, oldest first. */
  private queue: RedundantJob[] = []

  constructor(private readonly host: CopyHost) {}

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

  /** A new job, or one found pending at startup (its answers so far are in the store). */
  add(job: JobRecord, now: number, queuedAt?: number): void {
    // A job that never started has no answers (copies start before anything is stored).
    const stored = job.attempts > 0 ? this.host.answers.list(job.id) : []
    const answers: Answer[] = []
    const excluded = new Set<string>()
    let losses = 0
    for (const row of stored) {
      if (row.state === 'running') continue
      excluded.add(row.volunteer)
      if (row.state === 'lost') losses++
      else if (row.answer !== null && row.finish !== null)
        answers.push({
          key: row.volunteer,
          standing: row.standing ?? row.volunteer,
          attempt: row.attempt,
          answer: row.answer,
          finish: row.finish,
        })
    }
    const round = Math.max(job.attempts, 1)
    const rj: RedundantJob = {
      entry: {
        id: job.id,
        seq: job.seq,
        runtime: job.job_type,
        namespace: job.namespace,
        executor: job.executor,
        ...(queuedAt !== undefined && { queuedAt }),
      },
      copies: job.redundancy,
      maxRetries: job.max_retries,
      timeoutMs: job.timeout_ms,
      round,
      waiting: job.redundancy - answers.filter((a) => a.attempt === round).length,
      out: new Map(),
      answers,
      excluded,
      losses,
      running: job.status === 'running',
      queued: false,
    }
    this.jobs.set(job.id, rj)
    if (answers.length) this.settle(rj, now)
    else this.requeue(rj)
  }

  /** A volunteer has free slots: gives it copies, oldest first (only older than `beforeSeq`). */
  fill(session: VolunteerSession, beforeSeq = Infinity): void {
    if (this.queue.length === 0) return
    const key = volunteerKey(session)
    if (!this.host.reputation.trusted(reputationKey(session))) return
    while (session.freeSlots > 0) {
      const rj = this.queue.find((j) => j.entry.seq < beforeSeq && this.fits(j, session, key))
      if (!rj || !this.start(rj, session, key)) return
    }
  }

  /** A volunteer reports on a copy; false when it does not hold it. */
  report(session: VolunteerSession, frame: ResultFrame | JobErrorFrame, now: number): boolean {
    const rj = this.jobs.get(frame.job_id)
    if (!rj || !session.holds(frame.job_id, frame.attempt)) return false
    session.drop(frame.job_id)
    const key = volunteerKey(session)
    rj.out.delete(key)
    if (frame.type === 'error' && frame.retryable) {
      session.failed++
      this.lose(
        rj,
        key,
        frame.attempt,
        `the volunteer failed to run it: ${frame.error.message}`,
        now,
      )
      return true
    }
    const streams = {
      output: frame.output ?? null,
      stderr: frame.stderr,
      exit_code: frame.exit_code,
    }
    const who = { key, standing: reputationKey(session) }
    if (frame.type === 'result') {
      session.completed++
      const finish: Finish = { status: 'completed', result: frame.result, ...streams }
      this.answer(rj, who, frame.attempt, answerOf({ result: frame.result }), finish, now)
    } else {
      session.failed++
      const finish: Finish = { status: 'failed', error: frame.error, ...streams }
      this.answer(rj, who, frame.attempt, answerOf({ error: frame.error }), finish, now)
    }
    return true
  }

  /**
   * A copy's deadline passed with no report: the volunteer failed, not the guest (honest ones
   * report TIMEOUT themselves, and a job that times out everywhere fails so), so the copy is lost
   * and sent to someone else.
   */
  timeout(session: VolunteerSession, id: string, attempt: number, now: number): boolean {
    const rj = this.jobs.get(id)
    if (!rj || !session.holds(id, attempt)) return false
    session.drop(id)
    session.send({ type: 'cancel', job_id: id, attempt, reason: 'timeout' })
    this.host.missed(session, now)
    const key = volunteerKey(session)
    rj.out.delete(key)
    const why = `the volunteer running a copy sent no report within its ${formatSeconds(rj.timeoutMs)} timeout and the grace`
    this.lose(rj, key, attempt, why, now)
    this.host.refresh(session)
    return true
  }

  /** A volunteer left: the copies it held are sent to others. */
  release(session: VolunteerSession, id: string, now: number): void {
    const rj = this.jobs.get(id)
    const attempt = session.running.get(id)
    if (!rj || attempt === undefined) return
    session.drop(id)
    const key = volunteerKey(session)
    if (rj.out.get(key) !== session) return
    rj.out.delete(key)
    this.lose(rj, key, attempt, 'the volunteer running it disconnected', now)
  }

  /** Stops every copy; the caller ends the job. */
  cancel(id: string): void {
    const rj = this.jobs.get(id)
    if (rj) this.stop(rj, 'cancelled')
    this.forget(id)
  }

  /** The job ended (by us or by the scheduler): nothing more to track. */
  forget(id: string): void {
    const rj = this.jobs.get(id)
    if (!rj) return
    this.jobs.delete(id)
    this.unqueue(rj)
  }

  // ── rounds ────────────────────────────────────────────────────────────────

  private fits(rj: RedundantJob, session: VolunteerSession, key: string): boolean {
    const caps = session.capabilities
    return (
      caps !== undefined &&
      caps.runtimes.includes(rj.entry.runtime as Runtime) &&
      acceptsNamespace(caps, rj.entry.namespace) &&
      (!trustedOnly(rj.entry) || session.trusted) &&
      !rj.out.has(key) &&
      !rj.excluded.has(key) &&
      !session.running.has(rj.entry.id)
    )
  }

  /** Sends the job's waiting copies to volunteers with free slots, first fit. */
  private offer(rj: RedundantJob): void {
    for (const session of this.host.sessions()) {
      if (rj.waiting === 0 || !this.jobs.has(rj.entry.id)) return
      if (session.freeSlots === 0) continue
      const key = volunteerKey(session)
      if (!this.host.reputation.trusted(reputationKey(session)) || !this.fits(rj, session, key))
        continue
      if (!this.start(rj, session, key)) return
      this.host.taken(session)
    }
  }

  private start(
    rj: RedundantJob,
    session: VolunteerSession,
    key: string,
    now = Date.now(),
  ): boolean {
    const job = this.host.store.startCopy(rj.entry.id, session.id, rj.round, now)
    if (!job) {
      this.forget(rj.entry.id)
      return false
    }
    if (!rj.running) {
      rj.running = true
      this.host.move('pending', 'running')
      this.host.notePending(rj.entry.namespace, -1)
    }
    this.host.answers.put(
      rj.entry.id,
      { volunteer: key, attempt: rj.round, state: 'running', answer: null, finish: null },
      now,
    )
    rj.out.set(key, session)
    rj.waiting--
    if (rj.waiting === 0) this.unqueue(rj)
    const entry = { ...rj.entry }
    this.host.launch(job, session, entry, () => this.release(session, entry.id, Date.now()))
    // Dispatch latency counts once, for the first copy sent.
    delete rj.entry.queuedAt
    return true
  }

  private answer(
    rj: RedundantJob,
    { key, standing }: { key: string; standing: string },
    attempt: number,
    answer: string,
    finish: Finish,
    now: number,
  ): void {
    this.host.answers.put(
      rj.entry.id,
      {
        volunteer: key,
        attempt,
        state: 'answered',
        answer,
        finish,
        ...(standing !== key && { standing }),
      },
      now,
    )
    rj.excluded.add(key)
    rj.answers.push({ key, standing, attempt, answer, finish })
    this.settle(rj, now)
  }

  private lose(rj: RedundantJob, key: string, attempt: number, why: string, now: number): void {
    this.host.answers.put(
      rj.entry.id,
      { volunteer: key, attempt, state: 'lost', answer: null, finish: null },
      now,
    )
    rj.excluded.add(key)
    rj.losses++
    if (rj.losses > rj.maxRetries) {
      const lost = `${rj.losses} cop${rj.losses === 1 ? 'y' : 'ies'}`
      const error: JobError = {
        code: 'MAX_RETRIES',
        message: `gave up after losing ${lost}: ${why}`,
      }
      return this.finish(rj, { status: 'failed', error }, now)
    }
    if (attempt !== rj.round) return this.settle(rj, now)
    rj.waiting++
    this.requeue(rj)
  }

  /** Decides the current round from its answers so far. */
  private settle(rj: RedundantJob, now: number): void {
    const round = rj.answers.filter((a) => a.attempt === rj.round)
    const verdict = decide(
      round.map((a) => a.answer),
      rj.copies,
      rj.out.size + rj.waiting,
    )
    if (verdict.kind === 'agreed') {
      const winner = round.find((a) => a.answer === verdict.answer) as Answer
      this.judge(rj, verdict.answer)
      return this.finish(rj, winner.finish, now)
    }
    if (verdict.kind === 'undecided') return this.requeue(rj)
    // Split: no answer can win this round. Try again with volunteers that have not answered.
    if (rj.round > rj.maxRetries) {
      const needed = quorumOf(rj.copies)
      const error: JobError = {
        code: 'NO_QUORUM',
        message: `no ${needed} of ${rj.copies} volunteers agreed on a result in ${rj.round} round${rj.round === 1 ? '' : 's'}`,
      }
      return this.finish(rj, { status: 'failed', error }, now)
    }
    this.stop(rj, 'cancelled')
    rj.round++
    rj.waiting = rj.copies
    this.requeue(rj)
  }

  /** Every answer, of every round, against the agreed one. */
  private judge(rj: RedundantJob, agreed: string): void {
    // Session ids never come back: a departed session's standing would only take memory.
    for (const a of rj.answers)
      if (isLasting(a.standing) || this.host.connected(a.standing))
        this.host.reputation.note(a.standing, a.answer === agreed)
  }

  private finish(rj: RedundantJob, end: Finish, now: number): void {
    this.stop(rj, 'cancelled')
    this.forget(rj.entry.id)
    this.host.end(rj.entry.id, rj.running ? 'running' : 'pending', end, now)
  }

  /** Waiting copies go in the queue (and out at once if volunteers are free); none running: pending. */
  private requeue(rj: RedundantJob): void {
    if (rj.out.size === 0 && rj.running && this.host.store.requeue(rj.entry.id)) {
      rj.running = false
      this.host.move('running', 'pending')
      this.host.notePending(rj.entry.namespace, 1)
    }
    if (rj.waiting === 0 || rj.queued) return
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
  private stop(rj: RedundantJob, reason: 'cancelled' | 'timeout'): void {
    this.unqueue(rj)
    rj.waiting = 0
    const held = [...rj.out.values()]
    rj.out.clear()
    for (const session of held) {
      const attempt = session.running.get(rj.entry.id)
      if (attempt === undefined) continue
      session.drop(rj.entry.id)
      session.send({ type: 'cancel', job_id: rj.entry.id, attempt, reason })
    }
    for (const session of held) this.host.refresh(session)
  }

  private unqueue(rj: RedundantJob): void {
    if (!rj.queued) return
    rj.queued = false
    const at = this.queue.indexOf(rj)
    if (at >= 0) this.queue.splice(at, 1)
  }
}
