/**
 * The plan of each workflow version runs use (its document, steps by id, dependencies and order),
 * read from the store and planned once: a run keeps the version it started with.
 */
import { checkWorkflow, type WorkflowPlan } from './workflow-check'
import type { Step, WorkflowDocument } from './workflow-schemas'
import type { RunRecord, WorkflowStore } from './workflow-store'

export interface RunPlan {
  doc: WorkflowDocument
  steps: Map<string, Step>
  plan: WorkflowPlan
}

/** Versions kept planned; beyond, the least recently used is planned again when needed. */
const KEPT = 256

export class RunPlans {
  private readonly plans = new Map<string, RunPlan>()

  constructor(private readonly store: WorkflowStore) {}

  /** The plan of the version `run` started with; undefined if that version is gone. */
  of(run: Pick<RunRecord, 'workflow_id' | 'version' | 'namespace'>): RunPlan | undefined {
    const key = `${run.workflow_id}@${run.version}`
    const kept = this.plans.get(key)
    if (kept) {
      this.plans.delete(key)
      this.plans.set(key, kept)
      return kept
    }
    const doc = this.store.document(run.workflow_id, run.version)
    if (!doc) return undefined
    const planned: RunPlan = {
      doc,
      steps: new Map(doc.steps.map((s) => [s.id, s])),
      plan: checkWorkflow(doc, run.namespace),
    }
    this.plans.set(key, planned)
    if (this.plans.size > KEPT) this.plans.delete(this.plans.keys().next().value as string)
    return planned
  }
}
