/** The JSON the API shows for workflows and their runs. */
import type { JsonValue } from '../../../shared/protocol/json'
import { unitJobId } from './unit-ids'
import type { RunPlan } from './run-plans'
import type { WorkflowDocument } from './workflow-schemas'
import type {
  RunRecord,
  StepError,
  StepRecord,
  UnitRecord,
  UnitTally,
  WorkflowRecord,
} from './workflow-store'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const span = (from: number | null, to: number | null) =>
  from === null || to === null ? null : to - from

export function workflowView(workflow: WorkflowRecord, doc?: WorkflowDocument) {
  return {
    id: workflow.id,
    name: workflow.name,
    namespace: workflow.namespace,
    version: workflow.version,
    created_at: iso(workflow.created_at),
    updated_at: iso(workflow.updated_at),
    ...(doc && {
      description: doc.description ?? null,
      steps: doc.steps.map(({ run, ...step }) => {
        const { kind: _kind, ...rest } = run
        return { ...step, run: rest }
      }),
      ...(doc.connections && { connections: doc.connections }),
    }),
  }
}

export interface StepView {
  id: string
  status: StepRecord['status']
  kind: string
  /** Attempts made (the most of any element's). */
  attempts: number
  /** Steps that run once: every attempt's job (function steps make calls, not jobs). */
  job_ids?: string[]
  /** Fan-out steps: the batch their jobs belong to (`GET /api/jobs?batch_id=`), and how far it got. */
  batch_id?: string
  elements?: { total: number; completed: number; running: number; waiting: number; failed: number }
  executor: string | null
  started_at: string | null
  finished_at: string | null
  duration_ms: number | null
  result: JsonValue
  output: JsonValue
  /** A result over 1 MiB: `{result, output}` as a private file of the namespace, read at `url`. */
  stored?: { url: string; sha256: string; size: number }
  error: StepError | null
}

/**
 * A run as the API shows it, from its steps, each step's first unit, and per step the tallies of
 * its units by status (a fan-out's elements are counted, not read).
 */
export function runView(
  run: RunRecord,
  plan: RunPlan | undefined,
  steps: StepRecord[],
  first: UnitRecord[],
  tallies: UnitTally[],
) {
  const firstOf = new Map(first.map((u) => [u.step_id, u]))
  const talliesOf = new Map<string, UnitTally[]>()
  for (const tally of tallies) {
    const list = talliesOf.get(tally.step_id) ?? []
    list.push(tally)
    talliesOf.set(tally.step_id, list)
  }
  const records = new Map(steps.map((s) => [s.step_id, s]))
  const order = plan?.doc.steps.map((s) => s.id) ?? steps.map((s) => s.step_id)
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    workflow_version: run.version,
    namespace: run.namespace,
    key: run.key,
    status: run.status,
    input: run.input,
    error: run.error,
    created_at: iso(run.created_at),
    finished_at: iso(run.finished_at),
    duration_ms: span(run.created_at, run.finished_at),
    steps: order.flatMap((id) => {
      const record = records.get(id)
      if (!record) return []
      const step = plan?.steps.get(id)
      return [
        stepView(
          run.namespace,
          run.id,
          record,
          step?.run.kind ?? 'code',
          step?.foreach !== undefined,
          firstOf.get(id),
          talliesOf.get(id) ?? [],
        ),
      ]
    }),
  }
}

function stepView(
  namespace: string,
  runId: string,
  record: StepRecord,
  kind: string,
  fanOut: boolean,
  single: UnitRecord | undefined,
  tallies: UnitTally[],
): StepView {
  const attempts = tallies.reduce((most, t) => Math.max(most, t.attempts), 0)
  const count = (status: UnitTally['status']) =>
    tallies.find((t) => t.status === status)?.units ?? 0
  return {
    id: record.step_id,
    status: record.status,
    kind,
    attempts,
    ...(!fanOut &&
      kind !== 'function' &&
      single && {
        job_ids: Array.from({ length: single.attempt }, (_, i) =>
          unitJobId(runId, record.step_id, 0, i + 1),
        ),
      }),
    ...(fanOut && {
      batch_id: `${runId}.${record.step_id}`,
      elements: {
        total: record.elements ?? tallies.reduce((sum, t) => sum + t.units, 0),
        completed: count('completed'),
        running: count('running'),
        waiting: count('waiting'),
        failed: count('failed'),
      },
    }),
    executor: fanOut ? null : (single?.executor ?? null),
    started_at: iso(record.started_at),
    finished_at: iso(record.finished_at),
    duration_ms: span(record.started_at, record.finished_at),
    result: record.result ?? null,
    output: record.output ?? null,
    ...(record.stored && {
      stored: {
        url: `/api/storage/${namespace}/${record.stored.path}`,
        sha256: record.stored.sha256,
        size: record.stored.size,
      },
    }),
    error: record.error ?? (fanOut ? null : (single?.error ?? null)),
  }
}

/** A run as its workflow's list of runs shows it. */
export function runSummary(run: RunRecord) {
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    workflow_version: run.version,
    status: run.status,
    error: run.error,
    created_at: iso(run.created_at),
    finished_at: iso(run.finished_at),
  }
}
