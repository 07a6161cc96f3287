/**
 * Runs workflows: a run starts the steps whose dependencies completed, each as one unit or one
 * per foreach element; a unit is a job (deterministic id `{run}.{step}.{element}.{attempt}`), a
 * function call or a native service run. Job ends arrive from the scheduler; retries wait for the
 * clock (`tick`). Every decision is written before the work it starts, so after a crash `recover`
 * finds each unit's job by its id and goes on: nothing completed runs again, nothing runs twice.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { CancelOutcome, FinishedJob } from '../jobs/scheduler-types'
import type { Logger } from '../observability/logger'
import type { WorkflowMetrics } from './workflow-metrics'
import { RunPlans, type RunPlan } from './run-plans'
import { TemplateError, type Scope } from './templates'
import {
  callResult,
  fanOutList,
  functionRequest,
  serviceInputs,
  serviceRun,
  stepJob,
  unitInput,
  type FunctionCaller,
  type ServiceStarter,
} from './step-work'
import { MAX_FANOUT, type Step } from './workflow-schemas'
import type {
  RunHead,
  RunRecord,
  StepError,
  StepRecord,
  UnitRecord,
  WorkflowStore,
} from './workflow-store'

/** What the engine needs of the job scheduler. */
interface WorkflowJobs {
  submit(jobs: NewJob[]): JobRecord[]
  get(id: string): JobRecord | undefined
  cancel(id: string): CancelOutcome
  onFinished(listener: (job: FinishedJob) => void): () => void
}

export interface WorkflowEngineDeps {
  store: WorkflowStore
  jobs: WorkflowJobs
  functions: FunctionCaller
  services: ServiceStarter
  sha256: (text: string) => string | Promise<string>
  defaults: { timeoutSeconds: number; maxRetries: number }
  metrics?: WorkflowMetrics | undefined
  logger?: Logger | undefined
  /** A run ended: long polls on it answer now. */
  ended?: (runId: string) => void
}

const TERMINAL = new Set(['completed', 'failed', 'skipped', 'cancelled'])

/** The deterministic id of a unit's attempt: the same step element never runs twice as one attempt. */
export const unitJobId = (runId: string, stepId: string, element: number, attempt: number) =>
  `${runId}.${stepId}.${element}.${attempt}`

export class WorkflowEngine {
  readonly plans: RunPlans
  /** Runs being advanced now, and whether another pass was asked for meanwhile. */
  private readonly advancing = new Map<string, boolean>()
  /** Units of each running step (`run\0step`) not yet completed, counted from the store once. */
  private readonly remaining = new Map<string, number>()

  constructor(private readonly deps: WorkflowEngineDeps) {
    this.plans = new RunPlans(deps.store)
    deps.jobs.onFinished((job) => this.jobEnded(job.id))
  }

  /** After a restart: every unit whose job ended unseen is settled, lost work started again. */
  recover(now = Date.now()): void {
    for (const runId of this.deps.store.activeRunIds()) {
      for (const unit of this.deps.store.units(runId)) {
        if (unit.status !== 'running') continue
        const job = this.deps.jobs.get(unit.job_id)
        if (!job) this.relaunch(unit, now)
        else if (job.status !== 'pending' && job.status !== 'running') this.jobEnded(job.id)
      }
      this.advance(runId, now)
    }
  }

  /** Units whose retry delay is over start their next attempt. */
  tick(now = Date.now()): void {
    for (const unit of this.deps.store.dueUnits(now)) {
      const run = this.deps.store.run(unit.run_id)
      if (run?.status !== 'running') continue
      this.launchAttempt(run, unit.step_id, { ...unit, attempt: unit.attempt + 1 }, now)
    }
  }

  /** When `tick` is next needed. */
  wakeAt(): number | undefined {
    return this.deps.store.nextRetry()
  }

  // ── runs ────────────────────────────────────────────────────────────────

  /** Starts a stored run: its first steps go out now. */
  begin(run: RunRecord, now = Date.now()): void {
    this.deps.metrics?.runEnded('started')
    this.deps.logger?.info('workflow run started', {
      run: run.id,
      workflow: run.workflow_id,
      version: run.version,
      namespace: run.namespace,
    })
    this.advance(run.id, now)
  }

  /** Stops a run: running jobs are cancelled, steps not started are cancelled. */
  cancel(runId: string, now = Date.now()): void {
    const { store } = this.deps
    for (const unit of store.units(runId)) {
      if (unit.status !== 'running' && unit.status !== 'waiting') continue
      store.putUnit({ ...unit, status: 'cancelled', retry_at: null, finished_at: now })
      if (unit.status === 'running') this.deps.jobs.cancel(unit.job_id)
    }
    for (const step of store.steps(runId))
      if (!TERMINAL.has(step.status))
        store.setStep(runId, { ...step, status: 'cancelled', finished_at: now })
    this.endRun(runId, 'cancelled', null, now)
  }

  /** Runs a failed run's failed steps again (their completed elements are kept), and what they held up. */
  retry(runId: string, now = Date.now()): void {
    const { store } = this.deps
    for (const step of store.steps(runId)) {
      if (step.status === 'completed') continue
      store.setStep(runId, { ...step, status: 'pending', error: null, finished_at: null })
      for (const unit of store.units(runId, step.step_id))
        if (unit.status !== 'completed') store.putUnit({ ...unit, status: 'failed', failures: 0 })
    }
    store.endRun(runId, 'running', null, null)
    this.deps.metrics?.runEnded('started')
    this.advance(runId, now)
  }

  /**
   * Starts every step whose dependencies are all over, and ends the run when all steps are. A step
   * that ends at once (an empty fan-out) advances the run again: that pass runs after this one.
   */
  private advance(runId: string, now: number): void {
    if (this.advancing.has(runId)) {
      this.advancing.set(runId, true)
      return
    }
    do {
      this.advancing.set(runId, false)
      this.advanceOnce(runId, now)
    } while (this.advancing.get(runId))
    this.advancing.delete(runId)
  }

  private advanceOnce(runId: string, now: number): void {
    const run = this.deps.store.run(runId)
    if (run?.status !== 'running') return
    const plan = this.plans.of(run)
    if (!plan) return this.endRun(runId, 'failed', 'its workflow version is gone', now)
    const steps = new Map(this.deps.store.steps(runId).map((s) => [s.step_id, s]))
    for (const id of plan.plan.order) {
      const step = steps.get(id)
      if (step?.status !== 'pending') continue
      const deps = [...(plan.plan.deps.get(id) ?? [])].map((d) => steps.get(d))
      if (deps.some((d) => !d || !TERMINAL.has(d.status))) continue
      if (deps.every((d) => d?.status === 'completed')) this.startStep(run, plan, step, steps, now)
      else {
        const skipped: StepRecord = { ...step, status: 'skipped', finished_at: now }
        this.deps.store.setStep(runId, skipped)
        steps.set(id, skipped)
      }
    }
    const all = [...steps.values()]
    if (all.every((s) => TERMINAL.has(s.status))) {
      const failed = all.find((s) => s.status === 'failed')
      const fatal = failed && plan.steps.get(failed.step_id)?.on_failure !== 'continue'
      if (fatal) this.endRun(runId, 'failed', `step '${failed.step_id}' failed`, now)
      else this.endRun(runId, 'completed', null, now)
    }
  }

  private endRun(runId: string, status: RunRecord['status'], error: string | null, now: number) {
    this.deps.store.endRun(runId, status, error, now)
    this.deps.metrics?.runEnded(status)
    this.deps.logger?.info(`workflow run ${status}`, { run: runId, ...(error && { error }) })
    this.deps.ended?.(runId)
  }

  // ── steps and units ─────────────────────────────────────────────────────

  private startStep(
    run: RunRecord,
    plan: RunPlan,
    record: StepRecord,
    steps: Map<string, StepRecord>,
    now: number,
  ): void {
    const step = plan.steps.get(record.step_id) as Step
    const scope = this.scope(run, steps)
    const started: StepRecord = { ...record, status: 'running', started_at: now }
    let elements: JsonValue[] | undefined
    if (step.foreach !== undefined) {
      const list = fanOutList(step, scope, MAX_FANOUT)
      if (!Array.isArray(list)) return this.failStep(run, plan, started, list, now)
      elements = list
      started.elements = list.length
    }
    this.deps.store.setStep(run.id, started)
    steps.set(step.id, started)
    this.deps.logger?.info('workflow step started', { run: run.id, step: step.id })
    // A step run again (a retried run) keeps its completed elements; the rest take a new attempt.
    const before = this.deps.store.units(run.id, step.id)
    const units: UnitRecord[] = []
    ;(elements ?? [undefined]).forEach((_, element) => {
      const old = before[element]
      if (old?.status === 'completed') return
      const attempt = old ? old.attempt + 1 : 1
      units.push({
        ...freshUnit(run.id, step.id, element),
        attempt,
        job_id: unitJobId(run.id, step.id, element, attempt),
        started_at: now,
      })
    })
    this.remaining.set(`${run.id}\0${step.id}`, units.length)
    if (units.length === 0) return this.completeStep(run, plan, started, now, before)
    void this.launch(run, plan, step, units, scope, elements, now)
  }

  /** Writes the units as running, then submits their work (jobs in one batch). */
  private async launch(
    run: RunRecord,
    plan: RunPlan,
    step: Step,
    units: UnitRecord[],
    scope: Scope,
    elements: JsonValue[] | undefined,
    now: number,
  ): Promise<void> {
    const { store, jobs } = this.deps
    for (const unit of units) store.putUnit({ ...unit, status: 'running', retry_at: null })
    const run_ = step.run
    try {
      if (run_.kind === 'code' || run_.kind === 'wasm') {
        const hash = await this.deps.sha256(run_.kind === 'code' ? run_.code : '')
        const batchId = elements ? `${run.id}.${step.id}` : null
        const fresh: NewJob[] = []
        for (const unit of units) {
          if (jobs.get(unit.job_id)) continue
          const at = elements
            ? { item: elements[unit.element] as JsonValue, index: unit.element }
            : {}
          const input = this.inputOf(step, unit, { ...scope, ...at }, now)
          if (input === false) continue
          const ids = { jobId: unit.job_id, namespace: run.namespace, batchId }
          fresh.push({ ...stepJob(step, ids, input, this.deps.defaults), code_hash: hash })
        }
        if (fresh.length > 0) jobs.submit(fresh)
      } else if (run_.kind === 'function') {
        await Promise.all(units.map((unit) => this.call(step, unit, scope, elements, now)))
      } else {
        const links = (plan.doc.connections ?? []).filter((c) => c.to === step.id)
        const jobOf = (from: string) => this.deps.store.units(run.id, from)[0]?.job_id ?? ''
        const inputs = serviceInputs(links, jobOf)
        for (const unit of units) {
          const at = elements
            ? { item: elements[unit.element] as JsonValue, index: unit.element }
            : {}
          const service = serviceRun(run_, { ...scope, ...at })
          const ids = {
            jobId: unit.job_id,
            workflowRun: run.id,
            maxRetries: this.deps.defaults.maxRetries,
          }
          await this.deps.services.start(run.namespace, service, inputs, ids)
        }
      }
    } catch (err) {
      // A template that names nothing, a service gone or no runner for it: this attempt fails.
      const code = err instanceof TemplateError ? 'TEMPLATE_ERROR' : 'STEP_NOT_STARTED'
      const error = { code, message: err instanceof Error ? err.message : String(err) }
      const retryable = !(err instanceof TemplateError)
      for (const unit of units) this.unitFailed(unit.job_id, error, retryable, Date.now())
    }
  }

  private inputOf(step: Step, unit: UnitRecord, scope: Scope, now: number) {
    try {
      return unitInput(step, scope)
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      this.unitFailed(unit.job_id, { code: 'TEMPLATE_ERROR', message: err.message }, false, now)
      return false
    }
  }

  private async call(
    step: Step,
    unit: UnitRecord,
    scope: Scope,
    elements: JsonValue[] | undefined,
    now: number,
  ) {
    const fn = step.run as Extract<Step['run'], { kind: 'function' }>
    const at = elements ? { item: elements[unit.element] as JsonValue, index: unit.element } : {}
    let request
    try {
      request = functionRequest(fn, { ...scope, ...at })
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      return this.unitFailed(
        unit.job_id,
        { code: 'TEMPLATE_ERROR', message: err.message },
        false,
        now,
      )
    }
    const [, user = '', ...rest] = fn.function.split('/')
    const outcome = await this.deps.functions.call(user, `/${rest.join('/')}`, request)
    if (!outcome.ok) return this.unitFailed(unit.job_id, outcome.error, true, Date.now())
    if (outcome.status >= 500)
      return this.unitFailed(
        unit.job_id,
        {
          code: 'FUNCTION_FAILED',
          message: `${fn.function} answered ${outcome.status}: ${outcome.body.slice(0, 500)}`,
        },
        true,
        Date.now(),
      )
    this.unitDone(unit.job_id, callResult(outcome), null, null, Date.now())
  }

  /** A job the scheduler ended: the unit it belongs to, if any, takes its outcome. */
  private jobEnded(jobId: string): void {
    // Every job's end comes here; only a unit's id has three dots, so other jobs cost no read.
    if (jobId.split('.', 4).length < 4) return
    const unit = this.deps.store.unitOfJob(jobId)
    if (unit?.status !== 'running' || unit.job_id !== jobId) return
    const job = this.deps.jobs.get(jobId)
    if (!job) return
    const now = Date.now()
    if (job.status === 'completed')
      this.unitDone(jobId, job.result ?? null, job.output, job.volunteer_id, now, unit)
    else
      this.unitFailed(
        jobId,
        job.error ?? { code: job.status.toUpperCase(), message: `the job was ${job.status}` },
        job.status !== 'cancelled',
        now,
        unit,
      )
  }

  /** A unit's work succeeded (`read`: the unit, when the caller has just read it). */
  private unitDone(
    jobId: string,
    result: JsonValue,
    output: string | null,
    executor: string | null,
    now: number,
    read?: UnitRecord,
  ) {
    const { store } = this.deps
    const unit = read ?? store.unitOfJob(jobId)
    if (unit?.status !== 'running') return
    store.endUnit({
      ...unit,
      status: 'completed',
      result,
      output,
      executor,
      error: null,
      finished_at: now,
    })
    // Not the whole run: its input (a fan-out's list, say) would be read once per element.
    const run = store.runHead(unit.run_id)
    const plan = run && this.plans.of(run)
    if (!run || !plan || run.status !== 'running') return
    const key = `${run.id}\0${unit.step_id}`
    const left =
      (this.remaining.get(key) ??
        store.units(run.id, unit.step_id).filter((u) => u.status !== 'completed').length + 1) - 1
    this.remaining.set(key, left)
    if (left > 0) return
    this.remaining.delete(key)
    const step = store.steps(run.id).find((s) => s.step_id === unit.step_id)
    if (step) this.completeStep(run, plan, step, now, store.units(run.id, unit.step_id))
  }

  /** A unit failed: tried again after its step's delay while retries are left, else its step fails. */
  private unitFailed(
    jobId: string,
    error: StepError,
    retryable: boolean,
    now: number,
    read?: UnitRecord,
  ): void {
    const { store } = this.deps
    const unit = read ?? store.unitOfJob(jobId)
    if (unit?.status !== 'running') return
    const run = store.runHead(unit.run_id)
    const plan = run && this.plans.of(run)
    if (!run || !plan) return
    const step = plan.steps.get(unit.step_id) as Step
    const failures = unit.failures + 1
    const retries = step.retries
    if (retryable && retries && failures <= retries.limit && run.status === 'running') {
      const factor =
        retries.backoff === 'exponential'
          ? 2
          : typeof retries.backoff === 'number'
            ? retries.backoff
            : 1
      const delay = (retries.delay_seconds ?? 0) * 1000 * factor ** (failures - 1)
      store.putUnit({ ...unit, status: 'waiting', failures, error, retry_at: now + delay })
      this.deps.logger?.info('workflow step retried', {
        run: run.id,
        step: step.id,
        element: unit.element,
        error: error.code,
      })
      if (delay === 0) this.tick(now)
      return
    }
    store.putUnit({ ...unit, status: 'failed', failures, error, finished_at: now })
    const record = store.steps(run.id).find((s) => s.step_id === unit.step_id)
    if (record && run.status === 'running') this.failStep(run, plan, record, error, now)
  }

  private failStep(run: RunHead, plan: RunPlan, record: StepRecord, error: StepError, now: number) {
    const { store } = this.deps
    // The step's other elements are no longer needed.
    for (const unit of store.units(run.id, record.step_id))
      if (unit.status === 'running' || unit.status === 'waiting') {
        store.putUnit({ ...unit, status: 'cancelled', retry_at: null, finished_at: now })
        if (unit.status === 'running') this.deps.jobs.cancel(unit.job_id)
      }
    store.setStep(run.id, { ...record, status: 'failed', error, finished_at: now })
    this.stepEnded(run, record, 'failed', now)
    if (plan.steps.get(record.step_id)?.on_failure === 'continue') return this.advance(run.id, now)
    for (const unit of store.units(run.id))
      if (unit.status === 'running' || unit.status === 'waiting') {
        store.putUnit({ ...unit, status: 'cancelled', retry_at: null, finished_at: now })
        if (unit.status === 'running') this.deps.jobs.cancel(unit.job_id)
      }
    for (const step of store.steps(run.id))
      if (!TERMINAL.has(step.status))
        store.setStep(run.id, {
          ...step,
          status: step.status === 'running' ? 'cancelled' : 'skipped',
          finished_at: now,
        })
    this.endRun(run.id, 'failed', `step '${record.step_id}' failed: ${error.message}`, now)
  }

  private completeStep(
    run: RunHead,
    plan: RunPlan,
    record: StepRecord,
    now: number,
    units: UnitRecord[] = [],
  ) {
    const fanOut = plan.steps.get(record.step_id)?.foreach !== undefined
    const result = fanOut ? units.map((u) => u.result ?? null) : (units[0]?.result ?? null)
    const output = fanOut ? units.map((u) => u.output) : (units[0]?.output ?? null)
    this.deps.store.setStep(run.id, {
      ...record,
      status: 'completed',
      result,
      output,
      error: null,
      finished_at: now,
    })
    this.stepEnded(run, record, 'completed', now)
    this.advance(run.id, now)
  }

  private stepEnded(run: RunHead, record: StepRecord, status: string, now: number) {
    const seconds = record.started_at === null ? 0 : (now - record.started_at) / 1000
    this.deps.metrics?.stepEnded(status, seconds)
    this.deps.logger?.info(`workflow step ${status}`, {
      run: run.id,
      step: record.step_id,
      seconds,
    })
  }

  /** Starts a unit's next attempt (a retry, or work lost in a restart). */
  private launchAttempt(run: RunRecord, stepId: string, unit: UnitRecord, now: number): void {
    const plan = this.plans.of(run)
    const step = plan?.steps.get(stepId)
    if (!plan || !step) return
    const steps = new Map(this.deps.store.steps(run.id).map((s) => [s.step_id, s]))
    const scope = this.scope(run, steps)
    let elements: JsonValue[] | undefined
    if (step.foreach !== undefined) {
      const list = fanOutList(step, scope, MAX_FANOUT)
      elements = Array.isArray(list) ? list : []
    }
    const next = {
      ...unit,
      job_id: unitJobId(run.id, stepId, unit.element, unit.attempt),
      started_at: now,
    }
    void this.launch(run, plan, step, [next], scope, elements, now)
  }

  private relaunch(unit: UnitRecord, now: number): void {
    const run = this.deps.store.run(unit.run_id)
    if (run) this.launchAttempt(run, unit.step_id, unit, now)
  }

  /** What references in this run resolve against: its input and its completed steps. */
  private scope(run: RunRecord, steps: Map<string, StepRecord>): Scope {
    const done: Scope['steps'] = {}
    for (const [id, step] of steps)
      if (step.status === 'completed')
        done[id] = { result: step.result ?? null, output: step.output ?? null }
    return { input: run.input, steps: done }
  }
}

function freshUnit(runId: string, stepId: string, element: number): UnitRecord {
  return {
    run_id: runId,
    step_id: stepId,
    element,
    attempt: 1,
    failures: 0,
    job_id: unitJobId(runId, stepId, element, 1),
    status: 'running',
    retry_at: null,
    result: undefined,
    output: null,
    error: null,
    executor: null,
    started_at: null,
    finished_at: null,
  }
}
