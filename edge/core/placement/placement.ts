/**
 * The seam between the scheduler and whatever runs work: a placement owns sites (a volunteer
 * connection; later a federated orchestrator), says whether one can take a piece of work, starts
 * attempts there, stops them, and tells the scheduler what happened. The scheduler keeps the jobs'
 * lifecycle (store, queue, retries, deadlines, quorum, waiters) and talks to placements only here.
 */
import type { Capabilities } from '../../../shared/protocol/capabilities'
import type { JobErrorFrame, ResultFrame } from '../../../shared/protocol/frames'
import type { DbAccess } from '../kv/db-access'
import type { SecretValues } from '../secrets/secret-service'
import type { AttemptKind, Progress, Task, WorkSpec } from './work'

/**
 * One place work runs, as a placement reports it: enough for the scheduler's queue to find the
 * oldest work it may take, and for redundant jobs to send copies to distinct sites.
 */
export interface Site {
  /** Unique while it is connected; stored as the job's `volunteer_id`. */
  readonly id: string
  /** Who it is for distinctness (no two copies of a job on one key): lasting where it can be. */
  readonly key: string
  /**
   * Who its answers are judged under (reputation): its most lasting key. One that outlives the
   * connection names its kind (`peer:…`, `addr:…`) and is kept in SQL; its bare `id` is not.
   */
  readonly standing: string
  /** A trusted executor: it may take work that requires one. */
  readonly trusted: boolean
  /** It may be sent work that declares secrets, and their values (see executor-identity.ts). */
  readonly secrets?: boolean
  /** Another orchestrator: it never takes work that must stay here (see PendingEntry.home). */
  readonly remote?: boolean
  /** What it runs (runtimes, namespace whitelist): the lanes the queue looks in for it. */
  readonly capabilities: Capabilities | undefined
  /** Attempts it can start now. */
  readonly room: number
  /** Whether it may run this work (its lanes, trust, and what lanes cannot tell: native needs). */
  fits(work: WorkSpec): boolean
  /** Whether it is running an attempt of this job now. */
  has(id: string): boolean
  /** How long work sent now waits behind what it already runs (its deadline allows for that). */
  queueWait(now: number): number
}

/** Why a placement can no longer run an attempt. */
export type LostCause =
  /** The site went away while it ran (disconnected, dropped, its socket died). */
  | 'disconnected'
  /** The work never reached the site. */
  | 'unreachable'
  /** The site said at once it would not take it (a peer orchestrator's refusal): not an attempt. */
  | 'refused'

/**
 * What a site reports at the end of an attempt (its output already capped); a peer orchestrator
 * also says which of its volunteers ran it (`orch:{peer}/{volunteer}`, stored as the job's).
 */
export type Report = (ResultFrame | JobErrorFrame) & { executed_by?: string }

/** What a placement tells the scheduler. */
export interface PlacementEvents {
  /** A site has room (it joined, finished something, its hold ended): it takes queued work. */
  room(site: Site, placement: Placement): void
  /** An attempt's work reached its site. */
  started(attempt: Attempt, now: number): void
  /** The site says how far it got (shown with the job while it runs). */
  progress(attempt: Attempt, progress: Progress): void
  /**
   * The site answered; an error with `retryable` is its own failure, not the guest's. False when
   * the attempt was no longer expected (it ended meanwhile): the report is not taken.
   */
  reported(attempt: Attempt, report: Report, now: number): boolean
  /** The site can no longer run it: the work runs elsewhere (a function call fails with 502). */
  lost(attempt: Attempt, cause: LostCause, now: number): void
  /** A site left for good: what was kept about it alone (its passing reputation) can go. */
  left(site: Site): void
}

/** Something that runs jobs and function calls on its sites. */
export interface Placement {
  /** Whether one of its sites could run this work now or once it has room. */
  canRun(work: WorkSpec): boolean
  /**
   * New work: a site that has room for it now (and passes `admit`, when given), where the
   * scheduler then starts it; undefined leaves it queued until a site reports room.
   */
  offer(work: WorkSpec, admit?: (site: Site) => boolean): Site | undefined
  /**
   * Runs an attempt (already on record) on its site: the slot is taken at once, the task sent
   * once `ready` resolves (the start is durable), or at once without it.
   */
  run(attempt: Attempt, task: Task, ready?: Promise<void>): void
  /**
   * Stops an attempt: cancelled (by request, or a quorum no longer needs it), or `timeout`: the
   * site let its deadline pass without a report, which costs it (see volunteers/deadline-backoff).
   */
  cancel(attempt: AttemptRef, reason: 'cancelled' | 'timeout', now: number): void
  /** A connected site by id. */
  site(id: string): Site | undefined
  /** When it next needs `tick` (a held site may work again); undefined when it does not. */
  wakeAt(): number | undefined
  /** The clock (every 100 ms, or a host's alarm): what waited until `now` may go on. */
  tick(now: number): void

  // After a restart that kept connections (Durable Object hibernation):
  /** Its sites among the host's restored connections, ready to hold what they ran before. */
  adopt?(live: Iterable<Site>): Iterable<Site>
  /** Holds again an attempt its (adopted) site was running before the restart; nothing is sent. */
  reattach?(attempt: Attempt): void
  /** Recovery is over: adopted sites take work again. */
  readmit?(): void
}

/**
 * One attempt of one piece of work on one site: the scheduler makes it, the placement holds it
 * while the site runs it (a volunteer session keeps its attempts by job id), and the events a
 * placement sends back name it. It is the one object that knows everything about a running job.
 */
export interface Attempt {
  /** The job's id, or the function call's. */
  readonly id: string
  /** The attempt number (a redundant job's round): a report must name it. */
  readonly attempt: number
  readonly kind: AttemptKind
  readonly site: Site
  readonly placement: Placement
  /** The namespace its guest's `db` calls reach, and how much of it on an untrusted site. */
  readonly namespace: string
  readonly untrustedDb: DbAccess
  /** When the scheduler gives up on it: the site's queue ahead of it, its timeout and the grace. */
  readonly deadline: number
  /** When its work became pending, for the dispatch latency metric; unknown after a restart. */
  readonly queuedAt: number | undefined
  /** Native jobs: the bearer token a runner shows for this attempt's outputs and files. */
  readonly token: string | undefined
  /** What the site last said of its progress. */
  progress?: Progress
  /** The secret values this attempt was sent, once opened: what comes back is redacted of them. */
  secrets?: SecretValues
  /** Set once it is over (reported, lost, cancelled, timed out): later news of it is ignored. */
  done: boolean
}

/** Enough to name an attempt on a site (an attempt from before a restart has no Attempt object). */
export type AttemptRef = Pick<Attempt, 'id' | 'attempt' | 'site'>

/** Builds a placement with the scheduler's events (they know each other; neither is built half). */
export type PlacementFactory<P extends readonly Placement[]> = (events: PlacementEvents) => P
