/**
 * Runs workflows: a run starts the steps whose dependencies completed (step-runner.ts runs each
 * one), and ends when all its steps have, failed when one failed that may not. Job ends arrive
 * from the scheduler; retries wait for the clock (`tick`). Every decision is written before the
 * work it starts, so after a crash `recover` finds each unit's job by its deterministic id and
 * goes on: nothing completed runs again, nothing runs twice as the same attempt.
 */
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { CancelOutcome, FinishedJob } from '../jobs/scheduler-types'
import type { Logger } from '../observability/logger'
import type { StorageService } from '../storage/storage-service'
import { LargeResults } from './large-results'
import { RunPlans } from './run-plans'
import { StepRunner } from './step-runner'
import type { FunctionCaller, ServiceStarter } from './step-work'
import type { WorkflowMetrics } from './workflow-metrics'
import type { RunHead, RunRecord, StepRecord, WorkflowStore } from './workflow-store'

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
  /** Where results over 1 MiB are kept (none: such a step fails). */
  storage: StorageService | undefined
  sha256: (text: string) => string | Promise<string>
  defaults: { timeoutSeconds: number; maxRetries: number }
  metrics?: WorkflowMetrics | undefined
  logger?: Logger | undefined
  /** A run ended: long polls on it answer now. */
  ended?: (runId: string) => void
  /**
   * A step's work was handed over after an await (a code hash, a function's answer), so outside
   * whatever request, frame or alarm started it: the host looks at its deadlines and load again.
   */
  launched?: (() => void) | undefined
}

const TERMINAL = new Set(['completed', 'failed', 'skipped', 'cancelled'])

export class WorkflowEngine {
  readonly plans: RunPlans
  private readonly steps: StepRunner
  /** Runs being advanced now, and whether another pass was asked for meanwhile. */
  private readonly advancing = new Map<string, boolean>()
  /** The earliest retry due (undefined: none); null when the store must be asked again. */
  private nextRetry: number | undefined | null = null

  constructor(private readonly deps: WorkflowEngineDeps) {
    this.plans = new RunPlans(deps.store)
    this.steps = new StepRunner({
      ...deps,
      plans: this.plans,
      results: new LargeResults(deps.storage, deps.sha256),
      stepEnded: (run, record, now) => this.stepEnded(run, record, now),
      retryAt: (at, now) => {
        if (this.nextRetry !== null) this.nextRetry = Math.min(this.nextRetry ?? at, at)
        if (at <= now) this.tick(now)
      },
    })
    deps.jobs.onFinished((job) => this.steps.jobEnded(job.id))
  }

  /**
   * After a restart: units whose job ended unseen are settled, lost attempts (never submitted, or
   * function calls cut off) start again, and steps caught between their units and their result go on.
   */
  recover(now = Date.now()): void {
    const { store, jobs } = this.deps
    for (const runId of store.activeRunIds()) {
      const run = store.run(runId)
      const plan = run && this.plans.of(run)
      if (!run || !plan) continue
      for (const unit of store.units(runId)) {
        if (unit.status !== 'running') continue
        const job = jobs.get(unit.job_id)
        if (!job) void this.steps.again(run, unit.step_id, unit, now)
        else if (job.status !== 'pending' && job.status !== 'running') this.steps.jobEnded(job.id)
      }
      for (const step of store.steps(runId)) {
        if (step.status !== 'running') continue
        const units = store.units(runId, step.step_id)
        if (units.some((u) => u.status === 'running' || u.status === 'waiting')) continue
        if (units.length > 0 && units.every((u) => u.status === 'completed'))
          void this.steps.complete(run, plan, step, now)
        else void this.steps.prepare(run, plan, step, now)
      }
      this.advance(runId, now)
    }
  }

  /** Units whose retry delay is over start their next attempt (the clock calls this often). */
  tick(now = Date.now()): void {
    if ((this.wakeAt() ?? Infinity) > now) return
    this.nextRetry = null
    for (const unit of this.deps.store.dueUnits(now)) {
      const run = this.deps.store.run(unit.run_id)
      if (run?.status !== 'running') continue
      void this.steps.again(run, unit.step_id, { ...unit, attempt: unit.attempt + 1 }, now)
    }
  }

  /** When `tick` is next needed (read from the store once, then kept as retries are set). */
  wakeAt(): number | undefined {
    if (this.nextRetry === null) this.nextRetry = this.deps.store.nextRetry()
    return this.nextRetry
  }

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

  /** Stops a run: running jobs are cancelled, steps not over are cancelled. */
  cancel(runId: string, now = Date.now()): void {
    this.steps.stopUnits(runId, now)
    for (const step of this.deps.store.steps(runId))
      if (!TERMINAL.has(step.status))
        this.deps.store.setStep(runId, { ...step, status: 'cancelled', finished_at: now })
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

  /** A step ended: a failure that may not be passed over fails the run; anything else goes on. */
  private stepEnded(run: RunHead, record: StepRecord, now: number): void {
    const plan = this.plans.of(run)
    if (record.status !== 'failed' || plan?.steps.get(record.step_id)?.on_failure === 'continue')
      return this.advance(run.id, now)
    this.steps.stopUnits(run.id, now)
    for (const step of this.deps.store.steps(run.id))
      if (!TERMINAL.has(step.status))
        this.deps.store.setStep(run.id, {
          ...step,
          status: step.status === 'running' ? 'cancelled' : 'skipped',
          finished_at: now,
        })
    const message = record.error?.message ?? 'it failed'
    this.endRun(run.id, 'failed', `step '${record.step_id}' failed: ${message}`, now)
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
      if (deps.every((d) => d?.status === 'completed')) {
        this.steps.start(run, plan, step, now)
        steps.set(id, { ...step, status: 'running' })
      } else {
        const skipped: StepRecord = { ...step, status: 'skipped', finished_at: now }
        this.deps.store.setStep(runId, skipped)
        steps.set(id, skipped)
      }
    }
    const all = [...steps.values()]
    if (!all.every((s) => TERMINAL.has(s.status))) return
    const failed = all.find(
      (s) => s.status === 'failed' && plan.steps.get(s.step_id)?.on_failure !== 'continue',
    )
    if (failed) this.endRun(runId, 'failed', `step '${failed.step_id}' failed`, now)
    else this.endRun(runId, 'completed', null, now)
  }

  private endRun(runId: string, status: RunRecord['status'], error: string | null, now: number) {
    this.deps.store.endRun(runId, status, error, now)
    this.deps.metrics?.runEnded(status)
    this.deps.logger?.info(`workflow run ${status}`, { run: runId, ...(error && { error }) })
    this.deps.ended?.(runId)
  }
}
