/**
 * Workflows, their versions, and their runs in SQL (the same schema on both hosts). A run holds a
 * row per step and a row per unit of a step (one, or one per foreach element); a unit names its
 * current attempt's job, whose id is deterministic, so what a run did is always readable here.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import type { Sql } from '../store/sql'
import type { StoredResult } from './large-results'
import type { WorkflowDocument } from './workflow-schemas'
import { endUnitRow, putUnitRow, unitOf, type RawUnit } from './unit-rows'

/** Why a step or unit failed: a job's error, or the engine's own (TEMPLATE_ERROR, ...). */
export interface StepError {
  code: string
  message: string
  line?: number
  traceback?: string
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled'
type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled'
/** `waiting`: failed, and due to be tried again at `retry_at`. */
type UnitStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled'

export interface WorkflowRecord {
  id: string
  namespace: string
  name: string
  version: number
  created_at: number
  updated_at: number
}

export interface RunRecord {
  seq: number
  id: string
  workflow_id: string
  /** The caller's id for it, which makes starting it idempotent. */
  key: string | null
  version: number
  namespace: string
  status: RunStatus
  input: JsonValue
  error: string | null
  created_at: number
  finished_at: number | null
}

/** What deciding a unit's end needs of its run: which plan, and whether it is still going. */
export type RunHead = Pick<RunRecord, 'id' | 'workflow_id' | 'version' | 'namespace' | 'status'>

export interface StepRecord {
  step_id: string
  status: StepStatus
  /** The fan-out's size; null for a step that runs once. */
  elements: number | null
  result: JsonValue | undefined
  output: JsonValue | undefined
  /** Where `{result, output}` is when too large to keep here (then both are undefined). */
  stored: StoredResult | null
  error: StepError | null
  started_at: number | null
  finished_at: number | null
}

export interface UnitRecord {
  run_id: string
  step_id: string
  element: number
  /** The current attempt (1, 2, ...): the job id names it. */
  attempt: number
  /** Attempts that failed by the guest's doing (a lost volunteer does not count). */
  failures: number
  job_id: string
  status: UnitStatus
  retry_at: number | null
  result: JsonValue | undefined
  output: string | null
  error: StepError | null
  executor: string | null
  started_at: number | null
  finished_at: number | null
}

/** How many units of a step have one status, and the most attempts any of them made. */
export interface UnitTally {
  step_id: string
  status: UnitStatus
  units: number
  attempts: number
}

type Raw<T, K extends keyof T> = Omit<T, K> & { [P in K]: string | null }

const json = (text: string | null): JsonValue | undefined =>
  text === null ? undefined : (JSON.parse(text) as JsonValue)
const text = (value: JsonValue | undefined): string | null =>
  value === undefined ? null : JSON.stringify(value)

export class WorkflowStore {
  constructor(private readonly sql: Sql) {}

  // ── workflows ───────────────────────────────────────────────────────────

  create(workflow: WorkflowRecord, doc: WorkflowDocument): void {
    this.sql.transaction(() => {
      const { id, namespace, name, version, created_at, updated_at } = workflow
      this.sql.run(
        'INSERT INTO workflows (id, namespace, name, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        id,
        namespace,
        name,
        version,
        created_at,
        updated_at,
      )
      this.putVersion(id, version, doc, created_at)
    })
  }

  /** Stores `doc` as the workflow's next version; returns it. */
  update(id: string, doc: WorkflowDocument, now: number): WorkflowRecord | undefined {
    return this.sql.transaction(() => {
      const current = this.get(id)
      if (!current) return undefined
      const version = current.version + 1
      this.sql.run(
        'UPDATE workflows SET name = ?, version = ?, updated_at = ? WHERE id = ?',
        doc.name,
        version,
        now,
        id,
      )
      this.putVersion(id, version, doc, now)
      return { ...current, name: doc.name, version, updated_at: now }
    })
  }

  private putVersion(id: string, version: number, doc: WorkflowDocument, now: number): void {
    this.sql.run(
      'INSERT INTO workflow_versions (workflow_id, version, document, created_at) VALUES (?, ?, ?, ?)',
      id,
      version,
      JSON.stringify(doc),
      now,
    )
  }

  get(id: string): WorkflowRecord | undefined {
    return this.sql.get<WorkflowRecord>('SELECT * FROM workflows WHERE id = ?', id)
  }

  /** A version's document (kept after the workflow is deleted: its runs still read it). */
  document(id: string, version: number): WorkflowDocument | undefined {
    const row = this.sql.get<{ document: string }>(
      'SELECT document FROM workflow_versions WHERE workflow_id = ? AND version = ?',
      id,
      version,
    )
    return row && (JSON.parse(row.document) as WorkflowDocument)
  }

  list(
    namespace: string,
    limit: number,
    offset: number,
  ): { items: WorkflowRecord[]; total: number } {
    const items = this.sql.all<WorkflowRecord>(
      'SELECT * FROM workflows WHERE namespace = ? ORDER BY created_at, id LIMIT ? OFFSET ?',
      namespace,
      limit,
      offset,
    )
    const total =
      this.sql.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM workflows WHERE namespace = ?',
        namespace,
      )?.n ?? 0
    return { items, total }
  }

  remove(id: string): boolean {
    return this.sql.run('DELETE FROM workflows WHERE id = ?', id) > 0
  }

  // ── runs ────────────────────────────────────────────────────────────────

  /** Stores a new run and a pending row per step, or nothing. */
  createRun(run: Omit<RunRecord, 'seq'>, stepIds: readonly string[]): void {
    this.sql.transaction(() => {
      this.sql.run(
        `INSERT INTO workflow_runs (id, workflow_id, key, version, namespace, status, input, error, created_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        run.id,
        run.workflow_id,
        run.key,
        run.version,
        run.namespace,
        run.status,
        text(run.input),
        run.error,
        run.created_at,
        run.finished_at,
      )
      for (const step of stepIds)
        this.sql.run(
          "INSERT INTO workflow_steps (run_id, step_id, status) VALUES (?, ?, 'pending')",
          run.id,
          step,
        )
    })
  }

  /** A run without its input (a fan-out's list, say): its columns before `input` only. */
  runHead(id: string): RunHead | undefined {
    return this.sql.get<RunHead>(
      'SELECT id, workflow_id, version, namespace, status FROM workflow_runs WHERE id = ?',
      id,
    )
  }

  run(id: string): RunRecord | undefined {
    const row = this.sql.get<Raw<RunRecord, 'input'>>(
      'SELECT * FROM workflow_runs WHERE id = ?',
      id,
    )
    return row && { ...row, input: json(row.input) ?? null }
  }

  /** The run a caller started with `key`. */
  runByKey(workflowId: string, key: string): RunRecord | undefined {
    const row = this.sql.get<Raw<RunRecord, 'input'>>(
      'SELECT * FROM workflow_runs WHERE workflow_id = ? AND key = ?',
      workflowId,
      key,
    )
    return row && { ...row, input: json(row.input) ?? null }
  }

  runs(workflowId: string, limit: number, offset: number): { items: RunRecord[]; total: number } {
    const rows = this.sql.all<Raw<RunRecord, 'input'>>(
      'SELECT * FROM workflow_runs WHERE workflow_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
      workflowId,
      limit,
      offset,
    )
    const total =
      this.sql.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM workflow_runs WHERE workflow_id = ?',
        workflowId,
      )?.n ?? 0
    return { items: rows.map((r) => ({ ...r, input: json(r.input) ?? null })), total }
  }

  /** Runs still going (after a restart, the engine takes them up again). */
  activeRunIds(): string[] {
    return this.sql
      .all<{ id: string }>("SELECT id FROM workflow_runs WHERE status = 'running' ORDER BY seq")
      .map((r) => r.id)
  }

  endRun(id: string, status: RunStatus, error: string | null, now: number | null): void {
    this.sql.run(
      'UPDATE workflow_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?',
      status,
      error,
      now,
      id,
    )
  }

  // ── steps ───────────────────────────────────────────────────────────────

  steps(runId: string): StepRecord[] {
    return this.sql
      .all<Raw<StepRecord, 'result' | 'output' | 'stored' | 'error'>>(
        'SELECT step_id, status, elements, result, output, stored, error, started_at, finished_at FROM workflow_steps WHERE run_id = ?',
        runId,
      )
      .map((row) => ({
        ...row,
        result: json(row.result),
        output: json(row.output),
        stored: (json(row.stored) as StoredResult | undefined) ?? null,
        error: (json(row.error) as StepError | undefined) ?? null,
      }))
  }

  setStep(runId: string, step: StepRecord): void {
    this.sql.run(
      `UPDATE workflow_steps SET status = ?, elements = ?, result = ?, output = ?, stored = ?, error = ?, started_at = ?, finished_at = ?
       WHERE run_id = ? AND step_id = ?`,
      step.status,
      step.elements,
      text(step.result),
      text(step.output),
      step.stored && JSON.stringify(step.stored),
      step.error && JSON.stringify(step.error),
      step.started_at,
      step.finished_at,
      runId,
      step.step_id,
    )
  }

  // ── units ───────────────────────────────────────────────────────────────

  units(runId: string, stepId?: string): UnitRecord[] {
    const rows =
      stepId === undefined
        ? this.sql.all<RawUnit>(
            'SELECT * FROM workflow_units WHERE run_id = ? ORDER BY step_id, element',
            runId,
          )
        : this.sql.all<RawUnit>(
            'SELECT * FROM workflow_units WHERE run_id = ? AND step_id = ? ORDER BY element',
            runId,
            stepId,
          )
    return rows.map(unitOf)
  }

  /** For a run's view without reading every element: each step's first unit, and tallies. */
  unitSummary(runId: string): { first: UnitRecord[]; tallies: UnitTally[] } {
    const first = this.sql
      .all<RawUnit>(
        'SELECT * FROM workflow_units WHERE run_id = ? AND element = 0 ORDER BY step_id',
        runId,
      )
      .map(unitOf)
    const tallies = this.sql.all<UnitTally>(
      'SELECT step_id, status, COUNT(*) AS units, MAX(attempt) AS attempts FROM workflow_units WHERE run_id = ? GROUP BY step_id, status',
      runId,
    )
    return { first, tallies }
  }

  unitOfJob(jobId: string): UnitRecord | undefined {
    const row = this.sql.get<RawUnit>('SELECT * FROM workflow_units WHERE job_id = ?', jobId)
    return row && unitOf(row)
  }

  putUnit(unit: UnitRecord): void {
    putUnitRow(this.sql, unit)
  }

  /** A unit's outcome in place: `putUnit`'s replace also rewrites its job id's index entry. */
  endUnit(unit: UnitRecord): void {
    endUnitRow(this.sql, unit)
  }

  /** Units whose retry is due by `now`. */
  dueUnits(now: number): UnitRecord[] {
    return this.sql
      .all<RawUnit>(
        "SELECT * FROM workflow_units WHERE status = 'waiting' AND retry_at <= ? ORDER BY retry_at",
        now,
      )
      .map(unitOf)
  }

  /** When the next retry is due. */
  nextRetry(): number | undefined {
    return (
      this.sql.get<{ at: number | null }>(
        "SELECT MIN(retry_at) AS at FROM workflow_units WHERE status = 'waiting'",
      )?.at ?? undefined
    )
  }
}
