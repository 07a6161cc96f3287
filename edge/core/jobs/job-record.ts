/** A job as stored, and as the API shows it. */
import type { JobError, JobStatus, Runtime } from '../../../shared/protocol/job'
import type { JsonObject, JsonValue } from '../../../shared/protocol/json'
import type { DbAccess } from '../kv/db-access'
import type { Executor } from './executor-policy'

export interface JobRecord {
  seq: number
  id: string
  job_type: Runtime
  namespace: string
  code_hash: string
  input_data: JsonObject | null
  timeout_ms: number
  max_retries: number
  status: JobStatus
  result: JsonValue | undefined
  output: string | null
  error: JobError | null
  volunteer_id: string | null
  attempts: number
  batch_id: string | null
  /** Its position in its batch's inputs; null outside a batch (and for batch jobs from before). */
  batch_index: number | null
  created_at: number
  started_at: number | null
  completed_at: number | null
  wasm_cid: string | null
  args: string[] | null
  env: Record<string, string> | null
  stderr: string | null
  exit_code: number | null
  /** Volunteers that must agree on the result (1: the first answer is the job's). */
  redundancy: number
  /** `trusted`: only a trusted executor may run it (see executor-policy.ts). */
  executor: Executor
  /** What its `db` calls may reach when an untrusted volunteer runs it. */
  untrusted_db: DbAccess
  /** The names of the secrets it is sent (values never live here); empty: none. */
  secrets: string[]
}

/** What callers submit; the store fills in ids, times and state. */
export interface NewJob {
  /**
   * A caller-chosen id (a workflow's `{run}.{step}.{element}.{attempt}`), so that creating the
   * same job twice is seen; a fresh one is made when absent. It must carry the room's prefix.
   */
  id?: string
  job_type: Runtime
  namespace: string
  code: string
  code_hash: string
  input_data: JsonObject | null
  timeout_ms: number
  max_retries: number
  batch_id: string | null
  /** Its position in its batch's `inputs`. */
  batch_index?: number | null
  wasm_cid?: string | null
  args?: string[] | null
  env?: Record<string, string> | null
  /** 1 (the default) to 5; see jobs/redundant-jobs.ts. */
  redundancy?: number
  /** Default `any`. */
  executor?: Executor
  /** Default: nothing. */
  untrusted_db?: DbAccess
  /** Names of its namespace's secrets it is sent (checked to exist by whoever submits it). */
  secrets?: string[]
}

/** The JSON the API returns for a job (seed field names, plus what the original left out). */
export interface JobView {
  id: string
  job_type: Runtime
  namespace: string
  status: JobStatus
  code?: string
  input_data: JsonObject | null
  timeout_seconds: number
  max_retries: number
  attempts: number
  result: JsonValue
  output: string | null
  stderr?: string | null
  exit_code?: number | null
  error: JobError | null
  volunteer_id: string | null
  batch_id: string | null
  /** Jobs of a batch: the position of its input in `inputs` (null: submitted before it was kept). */
  index?: number | null
  wasm_cid?: string
  args?: string[]
  env?: Record<string, string>
  created_at: string
  started_at: string | null
  completed_at: string | null
  duration_ms: number | null
  /** What the running job's guest last reported with `progress()`; null when none or not running. */
  progress: JobProgressView | null
  /** Who may run it, and what its db calls reach on an untrusted volunteer. */
  executor: Executor
  untrusted_db: DbAccess
  /** The names of the secrets it declares (never their values). */
  secrets?: string[]
  /** Redundant jobs only: how many distinct volunteers must agree, and what they answered. */
  redundancy?: number
  quorum?: QuorumView
  /** Native jobs: the files the run produced, read at `url`. */
  outputs?: { name: string; size: number; sha256: string; url: string }[]
  /** A job a peer orchestrator ran for us: which one, and which of its volunteers. */
  executed_by?: { orchestrator: string; volunteer: string | null }
}

/** A guest's last `progress(fraction, message)`, and when the orchestrator heard it (ISO). */
export interface JobProgressView {
  fraction: number | null
  message: string | null
  at: string
}

/** A redundant job's answers: `needed` identical ones complete it. */
export interface QuorumView {
  needed: number
  /** Answers received over all rounds (`attempts`), and how many match the job's result. */
  answers: number
  agreeing: number
  /** Copies running now. */
  running: number
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

export function toJobView(job: JobRecord, code?: string): JobView {
  return {
    id: job.id,
    job_type: job.job_type,
    namespace: job.namespace,
    status: job.status,
    ...(code !== undefined && job.job_type !== 'wasm' && job.job_type !== 'native' && { code }),
    input_data: job.input_data,
    timeout_seconds: job.timeout_ms / 1000,
    max_retries: job.max_retries,
    attempts: job.attempts,
    result: job.result ?? null,
    output: job.output,
    ...((job.job_type === 'python' || job.job_type === 'wasm' || job.job_type === 'native') && {
      stderr: job.stderr,
    }),
    ...((job.job_type === 'wasm' || job.job_type === 'native') && { exit_code: job.exit_code }),
    error: job.error,
    volunteer_id: job.volunteer_id,
    batch_id: job.batch_id,
    ...(job.batch_id !== null && { index: job.batch_index }),
    ...(job.wasm_cid && { wasm_cid: job.wasm_cid, args: job.args ?? [], env: job.env ?? {} }),
    created_at: new Date(job.created_at).toISOString(),
    started_at: iso(job.started_at),
    completed_at: iso(job.completed_at),
    duration_ms:
      job.started_at !== null && job.completed_at !== null
        ? job.completed_at - job.started_at
        : null,
    progress: null,
    executor: job.executor,
    untrusted_db: job.untrusted_db,
    ...(job.secrets.length > 0 && { secrets: job.secrets }),
    ...(job.redundancy > 1 && { redundancy: job.redundancy }),
    ...executedBy(job.volunteer_id),
  }
}

/** `orch:{peer}` or `orch:{peer}/{volunteer}`: the site a peer's volunteer ran the job on. */
function executedBy(volunteerId: string | null): Pick<JobView, 'executed_by'> {
  if (!volunteerId?.startsWith('orch:')) return {}
  const [orchestrator = '', volunteer] = volunteerId.slice(5).split('/', 2)
  return { executed_by: { orchestrator, volunteer: volunteer ?? null } }
}
