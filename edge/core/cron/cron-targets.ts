/**
 * What a trigger's target may be, and starting it for one tick: a call of one of the namespace's
 * own functions, a job in the namespace under an id derived from the tick, or a run of one of the
 * namespace's workflows keyed by the tick. Jobs and runs are idempotent by those ids, so starting
 * a tick again after a crash finds what the first start made.
 */
import type { OrchestratorConfig } from '../config'
import { HttpError, badRequest } from '../http-error'
import type { Scheduler } from '../jobs/scheduler'
import { checkPendingJobs } from '../limits/quota-error'
import { newJob, type JobMaking } from '../routes/job-routes'
import { checkDeclared, type SecretService } from '../secrets/secret-service'
import type { FunctionCaller } from '../workflows/step-work'
import type { WorkflowService } from '../workflows/workflow-service'
import type { CronTarget } from './cron-schemas'
import type { CronRunRecord, CronTargetKind } from './cron-store'

export interface CronTargetDeps {
  config: OrchestratorConfig
  functions: FunctionCaller
  jobs: Pick<Scheduler, 'get' | 'submit' | 'pendingIn' | 'hasModule' | 'putModule'>
  workflows: WorkflowService
  sha256: (text: string) => string | Promise<string>
  /** Work went out after an await, outside any request or alarm (the Workers host wakes for it). */
  launched?: (() => void) | undefined
  /** Where a job target's declared secrets are checked; undefined: the host has no secrets key. */
  secrets?: SecretService | undefined
}

/** What a started (or failed) run records. */
export type CronStart = Partial<
  Pick<CronRunRecord, 'status' | 'job_id' | 'workflow_run_id' | 'http_status' | 'error'>
>

/** A tick's run, as ids show it: `cron:{name}:{tick}` (tick in epoch ms). */
export const cronRunId = (name: string, tick: number) => `cron:${name}:${tick}`

/** A job target's job id: the run's, with the room and namespace (job ids span namespaces). */
const cronJobId = (prefix: string, namespace: string, name: string, tick: number) =>
  `${prefix}cron:${namespace}:${name}:${tick}`

/** Calls from triggers carry this header, so a function can tell its tick. */
const CRON_HEADER = 'x-zerverless-cron'

export function kindOf(target: CronTarget): CronTargetKind {
  return 'function' in target ? 'function' : 'job' in target ? 'job' : 'workflow'
}

/** `/alice/report/x` → `alice`, `/report/x`; `/alice` → `alice`, `/`. */
function splitFunction(path: string): { user: string; path: string } {
  const [, user = '', ...rest] = path.split('/')
  return { user, path: rest.length === 0 ? '/' : `/${rest.join('/')}` }
}

/**
 * The workflow `ref` names in `namespace`: its id, or else the name of one of its workflows
 * (the newest of that name: a manifest names workflows, and a sync may make them anew).
 */
function findWorkflow(
  workflows: WorkflowService,
  namespace: string,
  ref: string,
): string | undefined {
  try {
    const byId = workflows.get(ref)
    if (byId.namespace === namespace) return byId.id
  } catch {
    // Not an id: maybe a name.
  }
  let found: string | undefined
  for (let offset = 0; ; offset += 500) {
    const page = workflows.list(namespace, 500, offset)
    for (const workflow of page.workflows) if (workflow.name === ref) found = workflow.id
    if (page.workflows.length < 500) return found
  }
}

/**
 * Refuses a target the trigger may not have: another namespace's function or job, a workflow
 * that is not the namespace's, an inline module (upload it and name it by `wasm_cid`).
 */
export function checkTarget(deps: CronTargetDeps, namespace: string, target: CronTarget): void {
  if ('function' in target) {
    const { user } = splitFunction(target.function)
    if (user !== namespace)
      throw badRequest(
        `target.function must be a function of this trigger's namespace ('/${namespace}/...'); '${target.function}' is in '${user}'`,
        'target',
      )
    return
  }
  if ('job' in target) {
    const job = target.job
    if (job.namespace !== undefined && job.namespace !== namespace)
      throw badRequest(
        `target.job.namespace must be the trigger's namespace '${namespace}' (or left out); got '${job.namespace}'`,
        'target',
      )
    checkDeclared(deps.secrets, namespace, job.secrets)
    if (job.wasm_base64 !== undefined)
      throw badRequest(
        'target.job.wasm_base64 is not kept in a trigger: upload the module with POST /api/wasm and name it by wasm_cid',
        'target',
      )
    if (job.wasm_cid !== undefined && !deps.jobs.hasModule(job.wasm_cid))
      throw new HttpError(
        404,
        'WASM_NOT_FOUND',
        `no module with id ${job.wasm_cid}; upload it with POST /api/wasm first`,
        { field: 'target' },
      )
    return
  }
  if (findWorkflow(deps.workflows, namespace, target.workflow) === undefined)
    throw badRequest(
      `target.workflow must name a workflow of namespace '${namespace}' (by id or name); '${target.workflow}' is none`,
      'target',
    )
}

const failure = (code: string, message: string): CronStart => ({
  status: 'failed',
  error: { code, message },
})

/** HttpErrors (a quota, a workflow gone) fail the run; anything else is a bug and is thrown. */
function failedBy(err: unknown): CronStart {
  if (err instanceof HttpError) return failure(err.code, err.message)
  throw err
}

/** Starts a job or workflow target for `tick` (again, after a crash: the ids make it once). */
export async function startTarget(
  deps: CronTargetDeps,
  run: Pick<CronRunRecord, 'namespace' | 'name' | 'tick'>,
  target: CronTarget,
  stillClaimed: () => boolean,
): Promise<CronStart> {
  const { namespace, name, tick } = run
  try {
    if ('job' in target) {
      const id = cronJobId(deps.config.idPrefix, namespace, name, tick)
      if (deps.jobs.get(id)) return { status: 'started', job_id: id }
      checkPendingJobs(
        namespace,
        deps.jobs.pendingIn(namespace),
        1,
        deps.config.limits.maxPendingJobs,
      )
      const making: JobMaking = {
        config: deps.config,
        sha256: deps.sha256,
        intake: { maxWasmBytes: deps.config.maxWasmBytes, modules: deps.jobs },
        jobs: deps.jobs,
        secrets: deps.secrets,
      }
      // A secret deleted since the trigger was put fails this run (SECRET_NOT_FOUND), not the clock.
      const job = await newJob(
        { ...target.job, namespace },
        target.job.input_data ?? null,
        null,
        making,
      )
      // The hash may have been awaited: the trigger may be gone, or another start made the job.
      if (!stillClaimed()) return failure('CRON_REMOVED', 'the trigger was removed')
      if (!deps.jobs.get(id)) {
        deps.jobs.submit([{ ...job, id, namespace }])
        deps.launched?.()
      }
      return { status: 'started', job_id: id }
    }
    if ('workflow' in target) {
      const workflow = findWorkflow(deps.workflows, namespace, target.workflow)
      if (workflow === undefined)
        return failure('WORKFLOW_NOT_FOUND', `no workflow '${target.workflow}' in '${namespace}'`)
      const input = target.input ?? null
      const { run: started } = deps.workflows.start(workflow, input, cronRunId(name, tick))
      return { status: 'started', workflow_run_id: started.id }
    }
    return failure('INTERNAL', 'a function target is called, not started')
  } catch (err) {
    return failedBy(err)
  }
}

/** Calls a function target for `tick`: completed with its status, or failed with why. */
export async function callTarget(
  deps: CronTargetDeps,
  run: Pick<CronRunRecord, 'name' | 'tick'>,
  target: Extract<CronTarget, { function: string }>,
): Promise<CronStart> {
  const { user, path } = splitFunction(target.function)
  const text =
    target.body === undefined
      ? ''
      : typeof target.body === 'string'
        ? target.body
        : JSON.stringify(target.body)
  const headers: Record<string, string> = {
    ...(target.body !== undefined &&
      typeof target.body !== 'string' && { 'content-type': 'application/json' }),
    ...target.headers,
    [CRON_HEADER]: cronRunId(run.name, run.tick),
  }
  const method = target.method ?? (text === '' ? 'GET' : 'POST')
  try {
    const outcome = await deps.functions.call(user, path, {
      method,
      query: target.query ?? {},
      headers,
      body: text,
    })
    return outcome.ok
      ? { status: 'completed', http_status: outcome.status }
      : failure(outcome.error.code, outcome.error.message)
  } catch (err) {
    return failedBy(err)
  }
}
