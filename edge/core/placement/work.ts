/**
 * What the scheduler hands a placement: the description of a piece of work that a placement
 * matches against its sites, and the task a site receives.
 */
import type { JobFrame } from '../../../shared/protocol/frames'
import type { Runtime } from '../../../shared/protocol/job'
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { Executor } from '../jobs/executor-policy'

/** A native job's needs: the runner holding its executable, and what its machine must offer. */
export interface NativeNeeds {
  /** The runner that must run it, or null for any that fits (uploaded services). */
  peerId: string | null
  requirements: ServiceRequirements
  /** An uploaded service's run with only inline inputs: a peer orchestrator may run it. */
  portable?: boolean
}

/** What decides where work may run: its runtime, namespace, who may run it, native needs. */
export interface WorkSpec {
  runtime: Runtime
  namespace: string
  /** `trusted`: only a trusted executor may run it (absent: any). */
  executor?: Executor
  /** Native jobs only. */
  native?: NativeNeeds
  /** It declares secrets: only a site that may have them takes it, and never a peer orchestrator. */
  secrets?: boolean
}

/** The work itself, as a site receives it: the body of a `job` frame. */
export type Task = Omit<JobFrame, 'type' | 'job_id' | 'attempt'>

/** Where an attempt belongs in the scheduler: a job, one copy of a redundant job, a function call. */
export type AttemptKind = 'job' | 'copy' | 'call'

/** How far a running job got, as its site reports it. */
export interface Progress {
  fraction?: number | undefined
  message?: string | undefined
  /** When the orchestrator heard it (ms since epoch); set where it is kept. */
  at?: number
}
