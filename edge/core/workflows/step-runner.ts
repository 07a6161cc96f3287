/**
 * One step of a run, from start to end: its fan-out list and units (one, or one per element),
 * each unit's attempts as jobs, function calls or native runs, their outcomes and retries, and the
 * step's result (kept in storage when large). What a step's end means for the run is the engine's.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { CancelOutcome } from '../jobs/scheduler-types'
import type { Logger } from '../observability/logger'
import type { LargeResults } from './large-results'
import type { RunPlan, RunPlans } from './run-plans'
import {
  callResult,
  fanOutList,
  functionRequest,
  serviceInputs,
  retryDelay,
  serviceRun,
  stepJob,
  unitInput,
  type FunctionCaller,
  type ServiceStarter,
} from './step-work'
import { TemplateError, type Scope } from './templates'
import { freshUnit, unitJobId } from './unit-ids'
import { readScope } from './run-scope'
import type { WorkflowMetrics } from './workflow-metrics'
import { MAX_FANOUT, type Step } from './workflow-schemas'
import type {
  RunHead,
  RunRecord,
  StepError,
  StepRecord,
  UnitRecord,
  WorkflowStore,
} from './workflow-store'

/** What steps need of the job scheduler. */
interface StepJobs {
  submit(jobs: NewJob[]): JobRecord[]
  get(id: string): JobRecord | undefined
  cancel(id: string): CancelOutcome
}

export interface StepRunnerDeps {
  store: WorkflowStore
  plans: RunPlans
  jobs: StepJobs
  functions: FunctionCaller
  services: ServiceStarter
  results: LargeResults
  sha256: (text: string) => string | Promise<string>
  defaults: { timeoutSeconds: number; maxRetries: number }
  metrics?: WorkflowMetrics | undefined
  logger?: Logger | undefined
  /** A step ended: the run may go on (or end). */
  stepEnded(run: RunHead, record: StepRecord, now: number): void
  /** A unit's next attempt is due at `at`. */
  retryAt(at: number, now: number): void
  /** Work went out after an await (see WorkflowEngineDeps.launched). */
  launched?: (() => void) | undefined
}

const live = (unit: UnitRecord) => unit.status === 'running' || unit.status === 'waiting'

export class StepRunner {
  /** Units of each running step (`run\0step`) not yet completed, counted from the store once. */
  private readonly remaining = new Map<string, number>()
  /** Steps whose result is being kept (it may be written to storage first). */
  private readonly completing = new Set<string>()

  constructor(private readonly deps: StepRunnerDeps) {}

  /** Starts a step: running from now (so it starts once), its units made once its inputs are read. */
  start(run: RunRecord, plan: RunPlan, record: StepRecord, now: number): void {
    const started: StepRecord = { ...record, status: 'running', started_at: now }
    this.deps.store.setStep(run.id, started)
    this.deps.logger?.info('workflow step started', { run: run.id, step: record.step_id })
    void this.prepare(run, plan, started, now)
  }

  /** Makes a running step's units (again, after a restart that came before they were written). */
  async prepare(run: RunRecord, plan: RunPlan, started: StepRecord, now: number): Promise<void> {
    let record = started
    const step = plan.steps.get(record.step_id) as Step
    let scope: Scope
    try {
      scope = await readScope(this.deps.store, this.deps.results, run)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return this.fail(run, record, { code: 'RESULT_UNREADABLE', message }, now)
    }
    let elements: JsonValue[] | undefined
    if (step.foreach !== undefined) {
      const list = fanOutList(step, scope, MAX_FANOUT)
      if (!Array.isArray(list)) return this.fail(run, record, list, now)
      elements = list
      record = { ...record, elements: list.length }
      this.deps.store.setStep(run.id, record)
    }
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
    if (units.length === 0) return this.complete(run, plan, record, now)
    await this.launch(run, plan, step, units, scope, elements)
  }

  /** Starts attempt `unit.attempt` of a unit (a retry, lost work): running from now, so once. */
  async again(run: RunRecord, stepId: string, unit: UnitRecord, now: number): Promise<void> {
    const plan = this.deps.plans.of(run)
    const step = plan?.steps.get(stepId)
    if (!plan || !step) return
    const next: UnitRecord = {
      ...unit,
      job_id: unitJobId(run.id, stepId, unit.element, unit.attempt),
      status: 'running',
      retry_at: null,
      started_at: now,
    }
    this.deps.store.putUnit(next)
    let scope: Scope
    try {
      scope = await readScope(this.deps.store, this.deps.results, run)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return this.failed(next.job_id, { code: 'RESULT_UNREADABLE', message }, false, now)
    }
    let elements: JsonValue[] | undefined
    if (step.foreach !== undefined) {
      const list = fanOutList(step, scope, MAX_FANOUT)
      elements = Array.isArray(list) ? list : []
    }
    await this.launch(run, plan, step, [next], scope, elements)
  }

  /** Writes the units as running, then submits their work (jobs in one batch). */
  private async launch(
    run: RunRecord,
    plan: RunPlan,
    step: Step,
    units: UnitRecord[],
    scope: Scope,
    elements: JsonValue[] | undefined,
  ): Promise<void> {
    const { store, jobs } = this.deps
    // The results it refers to were read after an await: the run may have ended meanwhile.
    if (store.run(run.id)?.status !== 'running') return
    for (const unit of units) store.putUnit({ ...unit, status: 'running', retry_at: null })
    const at = (unit: UnitRecord): Scope =>
      elements
        ? { ...scope, item: elements[unit.element] as JsonValue, index: unit.element }
        : scope
    const work = step.run
    try {
      if (work.kind === 'code' || work.kind === 'wasm') {
        const hash = await this.deps.sha256(work.kind === 'code' ? work.code : '')
        // An asynchronous hash (Web Crypto) lets a cancel in first: its jobs are not sent.
        if (store.run(run.id)?.status !== 'running') return
        const batchId = elements ? `${run.id}.${step.id}` : null
        const fresh: NewJob[] = []
        for (const unit of units) {
          if (jobs.get(unit.job_id)) continue
          const input = this.inputOf(step, unit, at(unit))
          if (input === false) continue
          const ids = { jobId: unit.job_id, namespace: run.namespace, batchId }
          fresh.push({ ...stepJob(step, ids, input, this.deps.defaults), code_hash: hash })
        }
        if (fresh.length > 0) jobs.submit(fresh)
      } else if (work.kind === 'function') {
        await Promise.all(units.map((unit) => this.call(step, unit, at(unit))))
      } else {
        const links = (plan.doc.connections ?? []).filter((c) => c.to === step.id)
        const jobOf = (from: string) => store.units(run.id, from)[0]?.job_id ?? ''
        const inputs = serviceInputs(links, jobOf)
        const maxRetries = this.deps.defaults.maxRetries
        for (const unit of units) {
          const ids = { jobId: unit.job_id, workflowRun: run.id, maxRetries }
          await this.deps.services.start(run.namespace, serviceRun(work, at(unit)), inputs, ids)
        }
      }
    } catch (err) {
      // A template that names nothing, a service gone or no runner for it: this attempt fails.
      const template = err instanceof TemplateError
      const error = {
        code: template ? 'TEMPLATE_ERROR' : 'STEP_NOT_STARTED',
        message: err instanceof Error ? err.message : String(err),
      }
      for (const unit of units) this.failed(unit.job_id, error, !template, Date.now())
    } finally {
      this.deps.launched?.()
    }
  }

  private inputOf(step: Step, unit: UnitRecord, scope: Scope) {
    try {
      return unitInput(step, scope)
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      this.failed(unit.job_id, { code: 'TEMPLATE_ERROR', message: err.message }, false, Date.now())
      return false
    }
  }

  private async call(step: Step, unit: UnitRecord, scope: Scope): Promise<void> {
    const fn = step.run as Extract<Step['run'], { kind: 'function' }>
    let request
    try {
      request = functionRequest(fn, scope)
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      const error = { code: 'TEMPLATE_ERROR', message: err.message }
      return this.failed(unit.job_id, error, false, Date.now())
    }
    const [, user = '', ...rest] = fn.function.split('/')
    const outcome = await this.deps.functions.call(user, `/${rest.join('/')}`, request)
    if (!outcome.ok) return this.failed(unit.job_id, outcome.error, true, Date.now())
    if (outcome.status >= 500) {
      const message = `${fn.function} answered ${outcome.status}: ${outcome.body.slice(0, 500)}`
      return this.failed(unit.job_id, { code: 'FUNCTION_FAILED', message }, true, Date.now())
    }
    this.done(unit.job_id, callResult(outcome), null, null, Date.now())
  }

  /** A job the scheduler ended: the unit it belongs to, if any, takes its outcome. */
  jobEnded(jobId: string): void {
    // Every job's end comes here; only a unit's id has three dots, so other jobs cost no read.
    if (jobId.split('.', 4).length < 4) return
    const unit = this.deps.store.unitOfJob(jobId)
    if (unit?.status !== 'running' || unit.job_id !== jobId) return
    const job = this.deps.jobs.get(jobId)
    if (!job) return
    const now = Date.now()
    if (job.status === 'completed')
      return this.done(jobId, job.result ?? null, job.output, job.volunteer_id, now, unit)
    const error = job.error ?? {
      code: job.status.toUpperCase(),
      message: `the job was ${job.status}`,
    }
    this.failed(jobId, error, job.status !== 'cancelled', now, unit)
  }

  private done(
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
    const plan = run && this.deps.plans.of(run)
    if (!run || !plan || run.status !== 'running') return
    const key = `${run.id}\0${unit.step_id}`
    const left =
      (this.remaining.get(key) ??
        store.units(run.id, unit.step_id).filter((u) => u.status !== 'completed').length + 1) - 1
    this.remaining.set(key, left)
    if (left > 0) return
    this.remaining.delete(key)
    const record = store.steps(run.id).find((s) => s.step_id === unit.step_id)
    if (record) void this.complete(run, plan, record, now)
  }

  /** A unit failed: tried again after its step's delay while retries are left, else its step fails. */
  private failed(
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
    const plan = run && this.deps.plans.of(run)
    if (!run || !plan) return
    const step = plan.steps.get(unit.step_id) as Step
    const failures = unit.failures + 1
    const delay = retryable && run.status === 'running' ? retryDelay(step, failures) : undefined
    if (delay !== undefined) {
      store.putUnit({ ...unit, status: 'waiting', failures, error, retry_at: now + delay })
      const fields = { run: run.id, step: step.id, element: unit.element, error: error.code }
      this.deps.logger?.info('workflow step retried', fields)
      this.deps.retryAt(now + delay, now)
      return
    }
    store.putUnit({ ...unit, status: 'failed', failures, error, finished_at: now })
    const record = store.steps(run.id).find((s) => s.step_id === unit.step_id)
    if (record && run.status === 'running') this.fail(run, record, error, now)
  }

  /** Fails a step: its other elements are no longer needed. */
  private fail(run: RunHead, record: StepRecord, error: StepError, now: number) {
    this.stopUnits(run.id, now, record.step_id)
    const failed: StepRecord = { ...record, status: 'failed', error, finished_at: now }
    this.deps.store.setStep(run.id, failed)
    this.ended(run, failed, now)
  }

  /** Cancels the running and waiting units of a run (or of one of its steps), and their jobs. */
  stopUnits(runId: string, now: number, stepId?: string): void {
    const { store } = this.deps
    for (const unit of store.units(runId, stepId)) {
      if (!live(unit)) continue
      store.putUnit({ ...unit, status: 'cancelled', retry_at: null, finished_at: now })
      if (unit.status === 'running') this.deps.jobs.cancel(unit.job_id)
    }
  }

  /** Completes a step with its units' results (in element order for a fan-out), stored if large. */
  async complete(run: RunHead, plan: RunPlan, record: StepRecord, now: number): Promise<void> {
    const key = `${run.id}\0${record.step_id}`
    if (this.completing.has(key)) return
    this.completing.add(key)
    try {
      await this.completeOnce(run, plan, record, now)
    } finally {
      this.completing.delete(key)
    }
  }

  private async completeOnce(run: RunHead, plan: RunPlan, record: StepRecord, now: number) {
    const units = this.deps.store.units(run.id, record.step_id)
    const fanOut = plan.steps.get(record.step_id)?.foreach !== undefined
    const result = fanOut ? units.map((u) => u.result ?? null) : (units[0]?.result ?? null)
    const output = fanOut ? units.map((u) => u.output) : (units[0]?.output ?? null)
    let stored
    try {
      stored = await this.deps.results.keep(run.namespace, { result, output })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return this.fail(run, record, { code: 'RESULT_TOO_LARGE', message }, Date.now())
    }
    const completed: StepRecord = stored
      ? {
          ...record,
          status: 'completed',
          result: undefined,
          output: undefined,
          stored,
          error: null,
          finished_at: now,
        }
      : {
          ...record,
          status: 'completed',
          result,
          output,
          stored: null,
          error: null,
          finished_at: now,
        }
    const current = this.deps.store.steps(run.id).find((s) => s.step_id === record.step_id)
    if (this.deps.store.run(run.id)?.status !== 'running' || current?.status !== 'running') return
    this.deps.store.setStep(run.id, completed)
    this.ended(run, completed, now)
  }

  private ended(run: RunHead, record: StepRecord, now: number): void {
    const seconds = record.started_at === null ? 0 : (now - record.started_at) / 1000
    this.deps.metrics?.stepEnded(record.status, seconds)
    this.deps.logger?.info(`workflow step ${record.status}`, {
      run: run.id,
      step: record.step_id,
      seconds,
    })
    this.deps.stepEnded(run, record, now)
  }
}
