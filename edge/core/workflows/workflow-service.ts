/**
 * Workflows as the API offers them: define, version, delete, start runs (idempotently by a
 * caller's id), read, wait for, cancel and retry them. The engine runs what this starts.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import { HttpError } from '../http-error'
import { Waiters } from '../jobs/waiters'
import { checkWorkflow, type WorkflowLookups } from './workflow-check'
import type { WorkflowEngine } from './workflow-engine'
import type { WorkflowDocument } from './workflow-schemas'
import type { RunRecord, WorkflowRecord, WorkflowStore } from './workflow-store'
import { runSummary, runView, workflowView } from './workflow-views'

export interface WorkflowServiceDeps {
  store: WorkflowStore
  engine: WorkflowEngine
  lookups: WorkflowLookups
  /** Ids made here carry it, so they name this room (`r2-…`). */
  idPrefix: string
}

const notFound = (id: string) =>
  new HttpError(404, 'WORKFLOW_NOT_FOUND', `no workflow with id ${id}`)
const runNotFound = (id: string) =>
  new HttpError(404, 'WORKFLOW_RUN_NOT_FOUND', `no workflow run with id ${id}`)

export class WorkflowService {
  private readonly waiters = new Waiters()

  constructor(private readonly deps: WorkflowServiceDeps) {}

  /** Long polls on a run answer once it ends (the engine calls this). */
  ended(runId: string): void {
    this.waiters.wake(runId)
  }

  create(namespace: string, doc: WorkflowDocument, now = Date.now()) {
    checkWorkflow(doc, namespace, this.deps.lookups)
    const record: WorkflowRecord = {
      id: this.deps.idPrefix + 'wf-' + crypto.randomUUID(),
      namespace,
      name: doc.name,
      version: 1,
      created_at: now,
      updated_at: now,
    }
    this.deps.store.create(record, { ...doc, namespace })
    return workflowView(record, doc)
  }

  /** A new version; runs already started keep theirs. */
  update(id: string, doc: WorkflowDocument, now = Date.now()) {
    const current = this.get(id)
    if (doc.namespace !== undefined && doc.namespace !== current.namespace)
      throw new HttpError(
        400,
        'INVALID_WORKFLOW',
        `namespace cannot change (the workflow is in '${current.namespace}'); create it anew there`,
        { field: 'namespace' },
      )
    checkWorkflow(doc, current.namespace, this.deps.lookups)
    const updated = this.deps.store.update(id, { ...doc, namespace: current.namespace }, now)
    if (!updated) throw notFound(id)
    return workflowView(updated, doc)
  }

  get(id: string): WorkflowRecord {
    const workflow = this.deps.store.get(id)
    if (!workflow) throw notFound(id)
    return workflow
  }

  view(id: string) {
    const workflow = this.get(id)
    return workflowView(workflow, this.deps.store.document(id, workflow.version))
  }

  list(namespace: string, limit: number, offset: number) {
    const { items, total } = this.deps.store.list(namespace, limit, offset)
    return { workflows: items.map((w) => workflowView(w)), total, limit, offset }
  }

  /** Deletes the workflow; its runs still going are cancelled, its runs stay readable. */
  remove(id: string, now = Date.now()): void {
    this.get(id)
    for (const run of this.deps.store.activeRunIds())
      if (this.deps.store.run(run)?.workflow_id === id) this.deps.engine.cancel(run, now)
    this.deps.store.remove(id)
  }

  /**
   * Starts a run of the workflow's current version. With the caller's `key`, starting twice
   * starts once: the second call gets the first run (`created: false`).
   */
  start(id: string, input: JsonValue, key: string | undefined, now = Date.now()) {
    const workflow = this.get(id)
    const existing = key === undefined ? undefined : this.deps.store.runByKey(id, key)
    if (existing) return { run: this.runView(existing), created: false }
    // Short, so a step's job id (`{run}.{step}.{element}.{attempt}`) fits the protocol's 128.
    const runId = this.deps.idPrefix + 'run-' + crypto.randomUUID()
    const doc = this.deps.store.document(id, workflow.version) as WorkflowDocument
    const run: Omit<RunRecord, 'seq'> = {
      id: runId,
      workflow_id: id,
      key: key ?? null,
      version: workflow.version,
      namespace: workflow.namespace,
      status: 'running',
      input,
      error: null,
      created_at: now,
      finished_at: null,
    }
    this.deps.store.createRun(
      run,
      doc.steps.map((s) => s.id),
    )
    this.deps.engine.begin({ ...run, seq: 0 }, now)
    return { run: this.runView(this.run(runId)), created: true }
  }

  run(runId: string): RunRecord {
    const run = this.deps.store.run(runId)
    if (!run) throw runNotFound(runId)
    return run
  }

  /** The run, once it ended or `ms` passed. */
  async waitFor(runId: string, ms: number) {
    const run = this.run(runId)
    if (ms > 0 && run.status === 'running') await this.waiters.wait(runId, ms)
    return this.runView(this.run(runId))
  }

  runView(run: RunRecord) {
    const { store, engine } = this.deps
    const { first, tallies } = store.unitSummary(run.id)
    return runView(run, engine.plans.of(run), store.steps(run.id), first, tallies)
  }

  runs(id: string, limit: number, offset: number) {
    this.get(id)
    const { items, total } = this.deps.store.runs(id, limit, offset)
    return { runs: items.map(runSummary), total, limit, offset }
  }

  cancel(runId: string, now = Date.now()) {
    const run = this.run(runId)
    if (run.status !== 'running')
      throw new HttpError(
        409,
        'RUN_FINISHED',
        `run ${runId} already ${run.status}; only a running run can be cancelled`,
      )
    this.deps.engine.cancel(runId, now)
    return this.runView(this.run(runId))
  }

  retry(runId: string, now = Date.now()) {
    const run = this.run(runId)
    if (run.status !== 'failed' && run.status !== 'cancelled')
      throw new HttpError(
        409,
        'RUN_NOT_FAILED',
        `run ${runId} is ${run.status}; only a failed or cancelled run can be retried`,
      )
    this.deps.engine.retry(runId, now)
    return this.runView(this.run(runId))
  }
}
