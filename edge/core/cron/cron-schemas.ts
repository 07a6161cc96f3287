/**
 * What a cron trigger is (`PUT /api/cron/{namespace}/{name}`, and `spec.crons` in a GitOps
 * manifest): a schedule croner understands (five fields, or six with seconds), a time zone, what
 * to do with ticks missed while the orchestrator was down, and one target: a function call, a job,
 * or a workflow run. Bad expressions and zones are refused with croner's reason.
 */
import { Cron } from 'croner'
import { z } from 'zod'
import type { OrchestratorConfig } from '../config'
import { jobSubmission } from '../routes/job-schemas'

/**
 * A trigger's name: a path segment, and part of its runs' ids (`cron:{name}:{tick}`). At most 32
 * characters, so that a job target's id (`{room}cron:{namespace}:{name}:{tick}`) fits the
 * protocol's 128 even with a 64-character namespace.
 */
export const CronName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'must be 1 to 32 letters, digits, _ and -' })

/** Why `timezone` is not a zone this runtime knows, or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone })
    return undefined
  } catch {
    return `is not a known time zone: '${timezone}' (an IANA name such as "UTC" or "Europe/Paris")`
  }
}

/** Why croner refuses `schedule` in `timezone`, or undefined when it takes it. */
export function scheduleProblem(schedule: string, timezone: string): string | undefined {
  try {
    // Computing a tick too: a pattern croner takes but cannot step through is refused here.
    const cron = new Cron(schedule, { paused: true, timezone })
    cron.nextRun()
    cron.stop()
    return undefined
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

const FunctionTarget = z.strictObject({
  function: z
    .string({ error: 'must be a function path such as "/alice/report"' })
    .regex(/^\/[^/]+(\/.*)?$/, { error: 'must be a function path such as "/alice/report"' })
    .max(1024),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  query: z.record(z.string(), z.string()).optional(),
  /** What `new Headers` takes: names are HTTP tokens, values have no line breaks or NUL. */
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, {
        error: 'header names must be HTTP tokens (letters, digits, - and a few marks)',
      }),
      z
        .string()
        .max(8192)
        .regex(/^[^\r\n\0]*$/, { error: 'header values must not hold line breaks or NUL' }),
    )
    .optional(),
  /** A string is sent as it is; any other JSON value as JSON. */
  body: z.json().optional(),
})

const WorkflowTarget = z.strictObject({
  workflow: z.string().min(1).max(128),
  input: z.json().optional(),
})

const TARGET_SHAPES =
  'must be {"function": "/user/path", ...}, {"job": {...}} or {"workflow": "id", "input": ...}'

/** Which of the three a target means, by its key (-1: none). */
function targetIndex(value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return -1
  return 'function' in value ? 0 : 'job' in value ? 1 : 'workflow' in value ? 2 : -1
}

/** An inner issue as a sentence below `target` ("job.code is required", "unknown field 'x'"). */
function innerMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
  const path = issue.path.map(String).join('.')
  // A record's key: the key's own complaint says more than "Invalid key in record".
  const message =
    issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message
  return path ? `${path} ${message}` : message
}

/**
 * One of the three targets. A plain union (so the manifest's JSON Schema shows all three), whose
 * error names what is wrong inside the one the target's key picks, rather than "matches none".
 */
function cronTarget(config: OrchestratorConfig) {
  const JobTarget = z.strictObject({ job: jobSubmission(config) })
  return z.union([FunctionTarget, JobTarget, WorkflowTarget], {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined
      const inner = issue.errors[targetIndex(issue.input)]?.[0]
      return inner ? innerMessage(inner) : TARGET_SHAPES
    },
  })
}

/** The body of `PUT /api/cron/{namespace}/{name}`. */
export function cronBody(config: OrchestratorConfig) {
  return z
    .strictObject({
      schedule: z
        .string({ error: 'must be a cron expression such as "*/5 * * * *"' })
        .min(1)
        .max(256),
      timezone: z.string().min(1).max(64).default('UTC'),
      /** Ticks missed while the orchestrator was down: run once at start, or skip them. */
      missed: z.enum(['once', 'skip'], { error: 'must be "once" or "skip"' }).default('once'),
      target: cronTarget(config),
    })
    .superRefine((body, ctx) => {
      const zone = timezoneProblem(body.timezone)
      if (zone) return ctx.addIssue({ code: 'custom', path: ['timezone'], message: zone })
      const problem = scheduleProblem(body.schedule, body.timezone)
      if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem })
    })
}

export type CronBody = z.infer<ReturnType<typeof cronBody>>
export type CronTarget = CronBody['target']
