/** The shapes of the JSON cron-views.ts builds, for the OpenAPI document and the tests that check it. */
import { z } from 'zod'

const iso = z.iso.datetime()

/** One run of a trigger (see `cronRunView`). */
const CronRunViewSchema = z.strictObject({
  id: z.string().describe('`cron:{name}:{tick in epoch ms}`'),
  tick: iso.nullable().describe('the scheduled time this run is for'),
  fired_at: iso.nullable(),
  target: z.enum(['function', 'job', 'workflow']),
  status: z
    .string()
    .describe(
      "starting, running, completed or failed; for a started job or workflow run, that job's or run's own status (`missing` once it was deleted)",
    ),
  missed: z.literal(true).optional().describe('it ran for ticks missed while the server was down'),
  job_id: z.string().optional(),
  workflow_run_id: z.string().optional(),
  function_status: z.int().nullable().optional().describe("the function's HTTP status"),
  finished_at: iso.nullable().optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
})

/** The target as it was set: a function call, a job, or a workflow run. */
const TargetView = z.union([
  z.looseObject({ function: z.string() }),
  z.looseObject({ job: z.record(z.string(), z.unknown()) }),
  z.looseObject({ workflow: z.string() }),
])

/** A trigger with its next run and newest runs first (see `cronView`). */
export const CronViewSchema = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  schedule: z.string(),
  timezone: z.string(),
  missed: z.enum(['once', 'skip']),
  target: TargetView,
  next_run: iso.nullable(),
  created_at: iso.nullable(),
  updated_at: iso.nullable(),
  runs: z.array(CronRunViewSchema),
})

/** `GET /api/cron/{namespace}`. */
export const CronListSchema = z.strictObject({
  crons: z.array(CronViewSchema),
  total: z.int().min(0),
})
