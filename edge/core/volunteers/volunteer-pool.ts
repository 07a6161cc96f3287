/**
 * The volunteers connected here, as a placement (see placement/placement.ts): the sessions that
 * said hello, an index of those with free slots, native fitting (via VolunteerSession.fits), holds
 * on those that let deadlines pass, and what the hub hears from them, passed on as events.
 */
import type { JobErrorFrame, JobFrame, ResultFrame } from '../../../shared/protocol/frames'
import type { Attempt, AttemptRef, Placement, PlacementEvents, Site } from '../placement/placement'
import type { Progress, Task, WorkSpec } from '../placement/work'
import { MinHeap } from '../util/min-heap'
import { DeadlineBackoff } from './deadline-backoff'
import { FreeSlots } from './free-slots'
import { capReport } from './report-caps'
import { VolunteerSession } from './volunteer-session'

/** A volunteer held back after a missed deadline, until `at`. */
interface Hold {
  at: number
  session: VolunteerSession
}

export class VolunteerPool implements Placement {
  /** Volunteers that said hello, by session id, in that order. */
  private readonly sessions = new Map<string, VolunteerSession>()
  private readonly slots = new FreeSlots()
  private readonly holds = new MinHeap<Hold>((a, b) => a.at < b.at)
  /** Restored after a restart, waiting for the scheduler to take back what they ran. */
  private adopted: VolunteerSession[] = []

  constructor(
    private readonly events: PlacementEvents,
    /** Strikes of volunteers that let deadlines pass (see deadline-backoff.ts). */
    readonly backoff = new DeadlineBackoff(),
  ) {}

  // ── what the hub tells it ──────────────────────────────────────────────────

  /**
   * A volunteer said hello. A newcomer takes the back-off its address or peer id has earned, so
   * reconnecting does not forgive it.
   */
  admit(session: VolunteerSession, now = Date.now()): void {
    this.sessions.set(session.id, session)
    const held = this.backoff.inherit(session, now)
    if (held !== undefined) this.holds.push({ at: held, session })
    this.refresh(session)
  }

  /** A volunteer's free slots or what it can take changed: it takes work, or is filed as free. */
  refresh(session: VolunteerSession): void {
    if (this.sessions.get(session.id) !== session) return
    this.slots.unfile(session)
    this.events.room(session, this)
    if (session.freeSlots > 0) this.slots.file(session)
  }

  /** A volunteer stops taking work (it is draining). */
  drain(session: VolunteerSession): void {
    this.slots.unfile(session)
  }

  /**
   * A volunteer finished a job. False when it does not hold that attempt (late or forged). What it
   * reports is capped first (see report-caps.ts); an answer (not a failure of its own) forgives one
   * of its strikes.
   */
  report(session: VolunteerSession, sent: ResultFrame | JobErrorFrame, now = Date.now()): boolean {
    const frame = capReport(sent)
    const attempt = session.running.get(frame.job_id)
    if (attempt?.attempt !== frame.attempt) return false
    session.drop(frame.job_id)
    if (!this.events.reported(attempt, frame, now)) return false
    if (frame.type === 'result') session.completed++
    else session.failed++
    this.refresh(session)
    if (!(frame.type === 'error' && frame.retryable)) this.backoff.forgive(session, now)
    return true
  }

  /** False when it does not hold that attempt. */
  progress(session: VolunteerSession, jobId: string, attempt: number, progress: Progress): boolean {
    const held = session.running.get(jobId)
    if (held?.attempt !== attempt) return false
    this.events.progress(held, progress)
    return true
  }

  /** A volunteer is gone: what it held runs elsewhere (function calls fail). */
  release(session: VolunteerSession, now = Date.now()): void {
    this.slots.unfile(session)
    this.sessions.delete(session.id)
    const held = [...session.running.values()]
    session.running.clear()
    for (const attempt of held) this.events.lost(attempt, 'disconnected', now)
    this.events.left(session)
  }

  // ── the placement ──────────────────────────────────────────────────────────

  canRun(work: WorkSpec): boolean {
    for (const session of this.sessions.values())
      if (session.state === 'active' && session.fits(work)) return true
    return false
  }

  offer(work: WorkSpec, admit?: (site: Site) => boolean): Site | undefined {
    // Sandboxed work finds a free slot in its lane's index; native work and copies look further.
    if (!work.native && !admit)
      return this.slots.find(
        work.runtime,
        work.namespace,
        work.secrets ? 'secrets' : work.executor === 'trusted' ? 'trusted' : 'any',
      )
    for (const session of this.sessions.values())
      if (session.freeSlots > 0 && session.fits(work) && (!admit || admit(session))) return session
    return undefined
  }

  run(attempt: Attempt, task: Task, ready?: Promise<void>): void {
    const session = sessionOf(attempt)
    session.running.set(attempt.id, attempt)
    if (session.freeSlots === 0) this.slots.unfile(session)
    // Only a volunteer that said it understands `function` gets it (older ones parse strictly).
    // Built when it leaves: secrets join the task only once they are open (see jobs/launcher.ts).
    const frame = (): JobFrame => {
      const { function: version, ...rest } = task
      return {
        type: 'job',
        job_id: attempt.id,
        attempt: attempt.attempt,
        ...rest,
        ...(version && session.capabilities?.warm && { function: version }),
      }
    }
    if (ready) void ready.then(() => this.deliver(session, attempt, frame(), 'disconnected'))
    else this.deliver(session, attempt, frame(), 'unreachable')
  }

  cancel(ref: AttemptRef, reason: 'cancelled' | 'timeout', now: number): void {
    const session = sessionOf(ref)
    session.drop(ref.id) // remembered as held lately: a report racing the cancel is not a forgery
    session.send({ type: 'cancel', job_id: ref.id, attempt: ref.attempt, reason })
    if (reason === 'timeout') this.missed(session, now)
    this.refresh(session)
  }

  site(id: string): Site | undefined {
    return this.sessions.get(id)
  }

  wakeAt(): number | undefined {
    return this.holds.peek()?.at
  }

  /** Held volunteers whose hold is over take work again. */
  tick(now: number): void {
    for (let top = this.holds.peek(); top && top.at <= now; top = this.holds.peek()) {
      this.holds.pop()
      const { session } = top
      // A later miss moved its hold (a newer entry is in the heap), or it left meanwhile.
      if (session.heldUntil === undefined || session.heldUntil > now) continue
      session.heldUntil = undefined
      if (session.state !== 'closed') this.refresh(session)
    }
  }

  adopt(live: Iterable<Site>): Iterable<Site> {
    this.adopted = []
    for (const site of live)
      if (site instanceof VolunteerSession && site.state === 'active') this.adopted.push(site)
    return this.adopted
  }

  reattach(attempt: Attempt): void {
    sessionOf(attempt).running.set(attempt.id, attempt)
  }

  readmit(): void {
    const adopted = this.adopted
    this.adopted = []
    for (const session of adopted) this.admit(session)
  }

  // ── inside ─────────────────────────────────────────────────────────────────

  /** Sends an attempt's work, unless it was cancelled or timed out meanwhile. */
  private deliver(
    session: VolunteerSession,
    attempt: Attempt,
    frame: JobFrame,
    lost: 'disconnected' | 'unreachable',
  ): void {
    if (session.running.get(attempt.id) !== attempt) return
    if (session.send(frame)) return this.events.started(attempt, Date.now())
    // A socket that died before its close event: the work goes elsewhere now.
    session.drop(attempt.id)
    this.events.lost(attempt, lost, Date.now())
    if (lost === 'disconnected') this.refresh(session)
  }

  /** A volunteer let a deadline pass without a report: it is held back (and it counts). */
  private missed(session: VolunteerSession, now: number): void {
    session.missedDeadlines++
    this.holds.push({ at: this.backoff.miss(session, now), session })
    this.slots.unfile(session)
  }
}

/** The volunteer an attempt of this pool runs on. */
function sessionOf(ref: AttemptRef): VolunteerSession {
  if (!(ref.site instanceof VolunteerSession))
    throw new Error(`attempt ${ref.id} does not run on a volunteer of this pool`)
  return ref.site
}
