/** What the job routes accept. Messages are written to follow the field name. */
import { z } from 'zod'
import { JOB_STATUSES, Namespace, normalizeRuntime, RUNTIMES } from '../../../shared/protocol/job'
import { CID_PATTERN } from '../../../shared/protocol/cid'
import { JsonObject } from '../../../shared/protocol/json'
import type { OrchestratorConfig } from '../config'
import { ExecutorField, UntrustedDbField } from '../jobs/executor-policy'
import { SecretNames } from '../secrets/secret-names'

export const runtimeName = z
  .string({ error: 'must be a string such as "js" or "lua"' })
  .transform((name, ctx) => {
    const runtime = normalizeRuntime(name)
    if (!runtime) {
      ctx.issues.push({
        code: 'custom',
        input: name,
        message: `must be one of ${RUNTIMES.join(', ')} (or javascript, py); got '${name}'`,
      })
      return z.NEVER
    }
    return runtime
  })

export const between = (min: number, max: number, what = 'a number') =>
  z
    .number({ error: `must be ${what} between ${min} and ${max}` })
    .min(min, { error: (i) => `must be between ${min} and ${max}; got ${String(i.input)}` })
    .max(max, { error: (i) => `must be between ${min} and ${max}; got ${String(i.input)}` })

const inputData = z
  .record(z.string(), z.json(), { error: 'must be a JSON object (it becomes INPUT in the job)' })
  .nullable() as z.ZodType<JsonObject | null>

function common(config: OrchestratorConfig) {
  return {
    job_type: runtimeName,
    code: z
      .string({ error: 'must be a string of source code' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    namespace: Namespace.optional(),
    timeout_seconds: between(1, config.maxTimeoutSeconds).optional(),
    max_retries: between(0, 10, 'an integer').int({ error: 'must be an integer' }).optional(),
    /** Distinct volunteers that must agree on the result (see jobs/redundant-jobs.ts). */
    redundancy: between(1, 5, 'an integer').int({ error: 'must be an integer' }).optional(),
    /** `trusted`: wait for a trusted executor (see jobs/executor-policy.ts). */
    executor: ExecutorField.optional(),
    /** What its `db` calls may reach on an untrusted volunteer; nothing by default. */
    untrusted_db: UntrustedDbField.optional(),
    /** Names of the namespace's secrets the guest reads as `SECRETS.NAME` (see secrets/). */
    secrets: SecretNames.optional(),
    wasm_base64: z
      .string({ error: 'must be a base64 string of a WebAssembly module' })
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64 (A-Z, a-z, 0-9, +, /, = padding)' })
      .optional(),
    wasm_cid: z
      .string()
      .regex(CID_PATTERN, { error: 'must be a module id as returned by POST /api/wasm' })
      .optional(),
    args: z
      .array(z.string().max(4096), { error: 'must be an array of strings' })
      .max(256)
      .optional(),
    env: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'names must be letters, digits and _' }),
        z.string().max(4096),
        { error: 'must be an object of string values' },
      )
      .optional(),
  }
}

/** Cross-field rules: wasm jobs name a module, other jobs carry code. */
function checkProgram(
  job: {
    job_type: string
    code?: string
    wasm_base64?: string
    wasm_cid?: string
    args?: string[]
    env?: object
    secrets?: string[]
    redundancy?: number
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [path], message })
  // Copies on several volunteers would multiply who holds the values; one trusted executor it is.
  if (job.secrets?.length && (job.redundancy ?? 1) > 1)
    issue(
      'secrets',
      'cannot be combined with redundancy above 1: secrets go to one trusted executor',
    )
  if (job.job_type === 'wasm') {
    if (job.code !== undefined)
      issue('code', 'is not used by wasm jobs: send the module as wasm_base64 or wasm_cid')
    else if (job.wasm_base64 === undefined && job.wasm_cid === undefined) {
      issue(
        'wasm_base64',
        'is required for wasm jobs (or wasm_cid, for a module uploaded with POST /api/wasm)',
      )
    } else if (job.wasm_base64 !== undefined && job.wasm_cid !== undefined) {
      issue('wasm_cid', 'cannot be combined with wasm_base64: send one of them')
    }
    return
  }
  if (job.code === undefined) issue('code', 'is required')
  for (const field of ['wasm_base64', 'wasm_cid', 'args', 'env'] as const) {
    if (job[field] !== undefined)
      issue(field, `is only for wasm jobs; this is a ${job.job_type} job`)
  }
}

export function jobSubmission(config: OrchestratorConfig) {
  return z
    .strictObject({ ...common(config), input_data: inputData.optional() })
    .superRefine(checkProgram)
}

export function batchSubmission(config: OrchestratorConfig) {
  return z
    .strictObject({
      ...common(config),
      inputs: z
        .array(inputData, { error: 'must be an array of JSON objects, one per job' })
        .min(1, { error: 'must hold at least one input' })
        .max(config.maxBatchSize, { error: `must hold at most ${config.maxBatchSize} inputs` }),
    })
    .superRefine(checkProgram)
}

export const wasmUpload = z.strictObject({
  wasm_base64: z
    .string({ error: 'must be a base64 string of a WebAssembly module' })
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64 (A-Z, a-z, 0-9, +, /, = padding)' }),
})

function oneOf<T extends string>(values: readonly T[]) {
  return z.string().transform((value, ctx) => {
    if ((values as readonly string[]).includes(value)) return value as T
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `must be one of ${values.join(', ')}; got '${value}'`,
    })
    return z.NEVER
  })
}

export const intParam = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be between ${min} and ${max}` })
        .max(max, { error: `must be between ${min} and ${max}` }),
    )
    .describe(name)

export const jobListQuery = z.object({
  status: oneOf(JOB_STATUSES).optional(),
  namespace: Namespace.optional(),
  batch_id: z.string().max(128).optional(),
  /** `input`: oldest first, so a batch's jobs come in the order of its inputs. */
  order: oneOf(['newest', 'input'] as const).optional(),
  limit: intParam('limit', 1, 1000).optional(),
  offset: intParam('offset', 0, Number.MAX_SAFE_INTEGER).optional(),
})

export function waitQuery(config: OrchestratorConfig) {
  return z.object({
    wait: z
      .string()
      .regex(/^\d+(\.\d+)?$/, {
        error: `must be a number of seconds between 0 and ${config.maxWaitSeconds}`,
      })
      .transform(Number)
      .pipe(
        z.number().max(config.maxWaitSeconds, {
          error: `must be at most ${config.maxWaitSeconds} seconds`,
        }),
      )
      .optional(),
  })
}
