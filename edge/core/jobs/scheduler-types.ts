/** What the scheduler is built with and tells others, apart from its placements. */
import type { NativeRun } from '../../../shared/protocol/frames'
import type { JobStatus, Runtime } from '../../../shared/protocol/job'
import type { Finish } from '../store/job-store'
import type { JobRecord } from './job-record'
import type { Summon } from './invocations'
import type { NativeNeeds } from '../placement/work'
import type { Opened } from '../secrets/secret-service'

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
  summon?: Summon
  /** Told of submissions, endings and dispatches (metrics). */
  observer?: SchedulerObserver
  /** Opens the secrets work declares, as it is handed to a site (see secrets/secret-service.ts). */
  secrets?: SecretOpener | undefined
}

/** Opens a namespace's secrets for one hand-over, or says why not (missing, unreadable). */
export interface SecretOpener {
  open(namespace: string, names: readonly string[]): Promise<Opened>
}

interface SchedulerObserver {
  jobSubmitted(runtime: Runtime): void
  jobFinished(runtime: Runtime, state: JobStatus): void
  /** A job or function call was sent to a volunteer `waitMs` after it became pending. */
  dispatched(kind: 'job' | 'function', waitMs: number): void
}

export interface NativeJobs {
  /** Where a native job may run; undefined when its service is gone. */
  target(job: JobRecord): NativeNeeds | undefined
  /** The job frame's `native` part for an attempt (`code`: the job's code blob), or why not. */
  run(job: JobRecord, jobToken: string, code: string): NativeRun | { error: string }
  /** More time past the deadline: a runner stops a process gracefully, then uploads its outputs. */
  extraGraceMs: number
}

/** A job that ended, as `Scheduler.onFinished` listeners hear of it. */
export interface FinishedJob {
  id: string
  status: Exclude<JobStatus, 'pending' | 'running'>
  job_type: Runtime
  namespace: string
  batch_id: string | null
}

export type CancelOutcome =
  { ok: true; job: JobRecord } | { ok: false; reason: 'not_found' | 'finished'; job?: JobRecord }

/** Ends a job that was `from` (the caller knows: it just read or held it). */
export type End = (id: string, from: JobStatus, end: Finish, now: number) => void
