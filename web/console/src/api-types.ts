/**
 * The shapes the console reads from the API, as the routes in edge/core/routes/ answer them.
 * At merge these give way to the types generated from /openapi.json (shared/client/).
 */

type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface Job {
  id: string
  job_type: string
  namespace: string
  status: JobStatus
  code?: string
  input_data: unknown
  timeout_seconds: number
  max_retries: number
  attempts: number
  result: unknown
  output: string | null
  error: string | null
  volunteer_id: string | null
  batch_id: string | null
  index?: number
  created_at: string
  started_at: string | null
  completed_at: string | null
  duration_ms: number | null
  quorum?: { needed: number; answers: number; agreeing: number; running: number }
  progress?: { fraction?: number; message?: string }
  outputs?: { name: string; size: number; sha256: string; url: string }[]
}

/** A page of jobs, newest first; `next_cursor` when there are more. */
export interface JobPage {
  jobs: Job[]
  next_cursor: string | null
}

export interface Batch {
  batch_id: string
  total: number
  done: boolean
  pending: number
  running: number
  completed: number
  failed: number
  cancelled: number
}

export interface Submitted {
  batch_id: string
  count: number
  job_ids: string[]
}

export interface Deployment {
  user: string
  path: string
  url: string
  runtime: string
  version: number
  code?: string
  timeout_seconds: number
  created_at: string
  updated_at: string
  versions?: { version: number; runtime: string; created_at: string }[]
}

export interface Invocation {
  time: string
  status: number
  duration_ms: number
  version: number
  error?: { code: string; message: string; line?: number }
}

export interface FunctionLogs {
  lines: string[]
  invocations: Invocation[]
}

export interface Volunteer {
  id: string
  state: string
  agent: { kind: string; name?: string | null; version?: string | null }
  trusted: boolean
  runtimes: string[]
  namespaces: string[] | null
  concurrency: number
  running: number
  completed: number
  failed: number
  connected_at: string
}

export interface Peer {
  peer_id?: string
  volunteer_id: string
  name: string | null
  state: string
  native: boolean
  runtimes: string[]
  concurrency: number
  running: number
  services: number
  capabilities?: Record<string, unknown>
  connected_at: string
}

export interface KvPage {
  keys: string[]
  cursor: string | null
}

export interface FilePage {
  files: string[]
  cursor: string | null
}

export interface WorkflowSummary {
  id: string
  name: string
  namespace: string
  version: number
}

export interface WorkflowStep {
  id: string
  needs?: string[]
}

export interface Workflow extends WorkflowSummary {
  steps: WorkflowStep[]
}

export interface RunStep {
  id: string
  /** pending, running, completed, failed, skipped or cancelled. */
  status: string
  attempts: number
  duration_ms: number | null
  result: unknown
  error: string | null
}

export interface WorkflowRun {
  id: string
  workflow_id: string
  status: string
  created_at: string
  finished_at: string | null
  steps?: RunStep[]
}

export interface Cron {
  name: string
  namespace: string
  schedule: string
  timezone: string
  target: Record<string, unknown>
  next_run: string | null
}

export interface Secret {
  name: string
  updated_at: string
}
