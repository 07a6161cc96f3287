/**
 * What one unit of a step runs: the job it submits (inline code, a wasm module), the function
 * call it makes, or the native service run, with the step's input resolved against the run. The
 * engine decides when; this file decides what, and knows each kind's fields.
 */
import type { JsonObject, JsonValue } from '../../../shared/protocol/json'
import type { StepError } from './workflow-store'
import type { NewJob } from '../jobs/job-record'
import { resolve, TemplateError, type Scope } from './templates'
import type { Connection, FunctionRun, ServiceRun, Step } from './workflow-schemas'

/** A deployed function's answer to a workflow's call, or why there was none. */
export type CallOutcome =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  | { ok: false; error: StepError }

/** Calls the workflow's namespace's deployed functions (see orchestrator.ts). */
export interface FunctionCaller {
  hasFunction(user: string, path: string): boolean
  call(user: string, path: string, request: FunctionRequest): Promise<CallOutcome>
}

export interface FunctionRequest {
  method: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

/** Where a native step's input comes from: an earlier native step's output files. */
export interface ServiceInputs {
  /** The process's stdin: an earlier job's stdout.txt, stderr.txt or logs.txt. */
  stdinFrom?: { job: string; output: string }
  /** Every output under `outputs` (`mounts/out/`) of `job`, into the INPUT `mount`. */
  files: { job: string; outputs: string; mount?: string }[]
}

/** Starts native steps on runners (see services/). */
export interface ServiceStarter {
  hasService(namespace: string, service: number | string): boolean
  start(
    namespace: string,
    run: ServiceRun,
    inputs: ServiceInputs,
    ids: { jobId: string; workflowRun: string; maxRetries: number },
  ): Promise<void>
}

/** The job's INPUT: an object as it is; any other value as `{"value": ...}`. */
function jobInput(value: JsonValue | undefined): JsonObject | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'object' && !Array.isArray(value)) return value
  return { value }
}

/** The unit's input: the step's `input` resolved, or by default the element or the run's input. */
export function unitInput(step: Step, scope: Scope): JsonObject | null {
  if (step.input !== undefined) return jobInput(resolve(step.input, scope))
  if (step.foreach !== undefined) return { item: scope.item ?? null, index: scope.index ?? 0 }
  return jobInput(scope.input)
}

/** The list a foreach step fans out over, or a StepError saying why it is not one. */
export function fanOutList(step: Step, scope: Scope, max: number): JsonValue[] | StepError {
  let list: JsonValue
  try {
    list = resolve(step.foreach as JsonValue, scope)
  } catch (err) {
    if (err instanceof TemplateError) return { code: 'TEMPLATE_ERROR', message: err.message }
    throw err
  }
  if (!Array.isArray(list))
    return {
      code: 'FOREACH_NOT_A_LIST',
      message: `foreach of step '${step.id}' must be a list; got ${JSON.stringify(list).slice(0, 200)}`,
    }
  if (list.length > max)
    return {
      code: 'FANOUT_TOO_LARGE',
      message: `foreach of step '${step.id}' has ${list.length} elements; at most ${max}`,
    }
  return list
}

/** How long a unit waits before its next attempt after `failures` failures; undefined: no more. */
export function retryDelay(step: Step, failures: number): number | undefined {
  const retries = step.retries
  if (!retries || failures > retries.limit) return undefined
  const { backoff } = retries
  const factor = backoff === 'exponential' ? 2 : typeof backoff === 'number' ? backoff : 1
  return (retries.delay_seconds ?? 0) * 1000 * factor ** (failures - 1)
}

/** A code or wasm step's job (without its code hash, which the caller computes once per step). */
export function stepJob(
  step: Step,
  ids: { jobId: string; namespace: string; batchId: string | null },
  input: JsonObject | null,
  defaults: { timeoutSeconds: number; maxRetries: number },
): Omit<NewJob, 'code_hash'> {
  const run = step.run
  if (run.kind !== 'code' && run.kind !== 'wasm') throw new Error(`${run.kind} steps are not jobs`)
  return {
    id: ids.jobId,
    job_type: run.runtime,
    namespace: ids.namespace,
    code: run.kind === 'code' ? run.code : '',
    input_data: input,
    timeout_ms: Math.round((step.timeout_seconds ?? defaults.timeoutSeconds) * 1000),
    max_retries: defaults.maxRetries,
    batch_id: ids.batchId,
    redundancy: step.redundancy ?? 1,
    executor: run.executor ?? 'any',
    untrusted_db: run.untrusted_db ?? { read: [], write: [] },
    ...(run.secrets?.length && { secrets: run.secrets }),
    ...(run.kind === 'wasm' && {
      wasm_cid: run.wasm_cid,
      args: run.args ?? [],
      env: run.env ?? {},
    }),
  }
}

/** A service step's run with the references in its arguments and stdin resolved. */
export function serviceRun(run: ServiceRun, scope: Scope): ServiceRun {
  return {
    ...run,
    ...(run.arguments && { arguments: run.arguments.map((a) => String(resolveText(a, scope))) }),
    ...(run.stdin !== undefined && { stdin: String(resolveText(run.stdin, scope)) }),
  }
}

const resolveText = (text: string, scope: Scope) => {
  const value = resolve(text, scope)
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** A function step's request, its references resolved (a JSON body is sent as JSON). */
export function functionRequest(run: FunctionRun, scope: Scope): FunctionRequest {
  const headers = { ...(run.headers ?? {}) }
  let body = ''
  if (run.body !== undefined) {
    const resolved = resolve(run.body, scope)
    if (typeof resolved === 'string') body = resolved
    else {
      body = JSON.stringify(resolved)
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json'
    }
  }
  return {
    method: run.method ?? (run.body === undefined ? 'GET' : 'POST'),
    query: run.query ?? {},
    headers,
    body,
  }
}

/** A function's answer as a step's result: `{status, headers, body}`, the body parsed when JSON. */
export function callResult(outcome: Extract<CallOutcome, { ok: true }>): JsonObject {
  let body: JsonValue = outcome.body
  if (/json/i.test(outcome.headers['content-type'] ?? '')) {
    try {
      body = JSON.parse(outcome.body) as JsonValue
    } catch {
      // Not JSON after all: the text it is.
    }
  }
  return { status: outcome.status, headers: outcome.headers, body }
}

const STREAM_FILES = { STDOUT: 'stdout.txt', STDERR: 'stderr.txt', LOGS: 'logs.txt' } as const

/** A native step's inputs from the connections into it; `jobOf` names each source step's job. */
export function serviceInputs(
  links: readonly Connection[],
  jobOf: (stepId: string) => string,
): ServiceInputs {
  const inputs: ServiceInputs = { files: [] }
  for (const link of links) {
    const job = jobOf(link.from)
    if (link.interface === 'MOUNT') {
      const dir = (link.path ?? '').replace(/^\/+|\/+$/g, '')
      inputs.files.push({
        job,
        outputs: dir ? `mounts/${dir}/` : 'mounts/',
        ...(link.mount !== undefined && { mount: link.mount }),
      })
    } else inputs.stdinFrom = { job, output: STREAM_FILES[link.interface] }
  }
  return inputs
}
