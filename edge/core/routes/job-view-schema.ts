/**
 * A job as the API shows it (job-view.ts builds it), as a zod schema: the document's `Job`, and
 * what the tests parse real answers with, so the view and its description cannot drift apart.
 */
import { z } from 'zod'
import { JobError, JobStatus, Runtime } from '../../../shared/protocol/job'
import { ExecutorField } from '../jobs/executor-policy'

/** What a guest's `db` calls may reach: key prefixes to read and to write. */
export const DbAccessView = z.strictObject({
  read: z.array(z.string()),
  write: z.array(z.string()),
})

const Time = z.string().describe('ISO 8601')

export const JobViewSchema = z
  .strictObject({
    id: z.string(),
    job_type: Runtime,
    namespace: z.string(),
    status: JobStatus,
    code: z.string().optional(),
    input_data: z.record(z.string(), z.json()).nullable(),
    timeout_seconds: z.number(),
    max_retries: z.int(),
    attempts: z.int(),
    result: z.json().describe('What the code returned, once completed'),
    output: z.string().nullable(),
    stderr: z.string().nullable().optional(),
    exit_code: z.int().nullable().optional(),
    error: JobError.nullable(),
    volunteer_id: z.string().nullable(),
    batch_id: z.string().nullable(),
    index: z.int().nullable().optional().describe("A batch job's position in `inputs`"),
    wasm_cid: z.string().optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    created_at: Time,
    started_at: Time.nullable(),
    completed_at: Time.nullable(),
    duration_ms: z.number().nullable(),
    progress: z
      .strictObject({
        fraction: z.number().nullable(),
        message: z.string().nullable(),
        at: Time,
      })
      .nullable()
      .describe("the running job's latest progress() report; null when none or when it ended"),
    executor: ExecutorField,
    untrusted_db: DbAccessView,
    secrets: z.array(z.string()).optional(),
    redundancy: z.int().optional(),
    quorum: z
      .strictObject({ needed: z.int(), answers: z.int(), agreeing: z.int(), running: z.int() })
      .optional(),
    outputs: z
      .array(
        z.strictObject({ name: z.string(), size: z.int(), sha256: z.string(), url: z.string() }),
      )
      .optional(),
    executed_by: z
      .strictObject({ orchestrator: z.string(), volunteer: z.string().nullable() })
      .optional(),
  })
  .meta({ id: 'Job' })

const StatusCounts = z.strictObject({
  pending: z.int(),
  running: z.int(),
  completed: z.int(),
  failed: z.int(),
  cancelled: z.int(),
})

/** `POST /api/jobs/batch` without `?wait=`. */
const BatchSubmitted = z.strictObject({
  batch_id: z.string(),
  count: z.int(),
  job_ids: z.array(z.string()),
})

/** `POST /api/jobs/batch?wait=`: the submission and where its jobs stand. */
const BatchSubmittedWaited = BatchSubmitted.extend({
  done: z.boolean(),
  ...StatusCounts.shape,
})

/** `GET /api/jobs/batch/{id}`: how many of a batch's jobs are in each state. */
export const BatchStatus = z
  .strictObject({ batch_id: z.string(), total: z.int(), done: z.boolean(), ...StatusCounts.shape })
  .meta({ id: 'BatchStatus' })

/** Submissions answer with the batch, or (with `?wait=`) with its states too. */
export const BatchSubmitAnswer = z.union([BatchSubmittedWaited, BatchSubmitted])

/** `GET /api/jobs`: a page of jobs and how many match in all. */
export const JobList = z.strictObject({
  jobs: z.array(JobViewSchema),
  total: z.int(),
  limit: z.int(),
  offset: z.int(),
})
