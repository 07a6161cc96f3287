/**
 * The shapes of the JSON workflow-views.ts builds, for the OpenAPI document and the tests that
 * check live answers with them.
 */
import { z } from 'zod'

const iso = z.iso.datetime()

const StepErrorSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  line: z.int().optional(),
  traceback: z.string().optional(),
})

/** A workflow; with its document (description, steps, connections) when it is read alone. */
export const WorkflowViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  namespace: z.string(),
  version: z.int().min(1).describe('1 when created; each PUT adds one'),
  created_at: iso.nullable(),
  updated_at: iso.nullable(),
  description: z.string().nullable().optional(),
  steps: z
    .array(
      z.looseObject({
        id: z.string(),
        run: z.record(z.string(), z.unknown()),
        needs: z.array(z.string()).optional().describe('the steps it waits for'),
      }),
    )
    .optional()
    .describe('the steps as defined'),
  connections: z.array(z.record(z.string(), z.unknown())).optional(),
})

/** `GET /api/workflows`: a page of workflows (without their documents). */
export const WorkflowListSchema = z.strictObject({
  workflows: z.array(WorkflowViewSchema),
  total: z.int().min(0),
  limit: z.int(),
  offset: z.int(),
})

const stepStatus = z.enum(['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'])
const runStatus = z.enum(['running', 'completed', 'failed', 'cancelled'])

/** One step of a run (see `StepView`). */
const StepViewSchema = z.strictObject({
  id: z.string(),
  status: stepStatus,
  kind: z.string().describe('code, service, function or workflow'),
  attempts: z.int().min(0),
  job_ids: z.array(z.string()).optional().describe("a step that runs once: each attempt's job"),
  batch_id: z.string().optional().describe("a fan-out step: its jobs' batch"),
  elements: z
    .strictObject({
      total: z.int(),
      completed: z.int(),
      running: z.int(),
      waiting: z.int(),
      failed: z.int(),
    })
    .optional(),
  executor: z.string().nullable(),
  started_at: iso.nullable(),
  finished_at: iso.nullable(),
  duration_ms: z.number().nullable(),
  result: z.json(),
  output: z.json(),
  stored: z
    .strictObject({ url: z.string(), sha256: z.string(), size: z.int() })
    .optional()
    .describe('a result over 1 MiB, kept as a private file of the namespace'),
  error: StepErrorSchema.nullable(),
})

const runFields = {
  id: z.string(),
  workflow_id: z.string(),
  workflow_version: z.int(),
  namespace: z.string(),
  key: z
    .string()
    .nullable()
    .describe("the caller's id for the run, which made starting it idempotent"),
  status: runStatus,
  input: z.json(),
  error: z.string().nullable(),
  created_at: iso.nullable(),
  finished_at: iso.nullable(),
  duration_ms: z.number().nullable(),
}

/** A run with its steps (see `runView`). */
export const RunViewSchema = z.strictObject({ ...runFields, steps: z.array(StepViewSchema) })

/** `GET /api/workflows/{id}/runs`: a page of runs, newest first. */
export const RunListSchema = z.strictObject({
  runs: z.array(
    z.strictObject({
      id: z.string(),
      workflow_id: z.string(),
      workflow_version: z.int(),
      status: runStatus,
      error: z.string().nullable(),
      created_at: iso.nullable(),
      finished_at: iso.nullable(),
    }),
  ),
  total: z.int().min(0),
  limit: z.int(),
  offset: z.int(),
})

/** The seed's `POST /api/workflows/{id}/execute`. */
export const ExecutionStarted = z.strictObject({
  message: z.string(),
  workflow_id: z.string(),
  execution_id: z.string().describe("the run's id"),
  status: runStatus,
  note: z.string(),
})

/** The seed's `GET /api/workflow-executions/{run}/status`: the run, and its steps as `jobs`. */
export const ExecutionStatus = z.strictObject({
  execution: z.strictObject(runFields),
  jobs: z.array(StepViewSchema),
  total: z.int().min(0),
})
