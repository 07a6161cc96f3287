/** A workflow unit's row: how it is written whole, how its outcome is written, how it is read. */
import type { JsonValue } from '../../../shared/protocol/json'
import type { Sql } from '../store/sql'
import type { StepError, UnitRecord } from './workflow-store'

/** A row as SQL gives it: the JSON columns still text. */
export type RawUnit = Omit<UnitRecord, 'result' | 'error'> & {
  result: string | null
  error: string | null
}

const text = (value: JsonValue | undefined): string | null =>
  value === undefined ? null : JSON.stringify(value)

export function unitOf(row: RawUnit): UnitRecord {
  return {
    ...row,
    result: row.result === null ? undefined : (JSON.parse(row.result) as JsonValue),
    error: row.error === null ? null : (JSON.parse(row.error) as StepError),
  }
}

export function putUnitRow(sql: Sql, unit: UnitRecord): void {
  sql.run(
    `INSERT OR REPLACE INTO workflow_units (run_id, step_id, element, attempt, failures, job_id, status, retry_at, result, output, error, executor, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    unit.run_id,
    unit.step_id,
    unit.element,
    unit.attempt,
    unit.failures,
    unit.job_id,
    unit.status,
    unit.retry_at,
    text(unit.result),
    unit.output,
    unit.error && JSON.stringify(unit.error),
    unit.executor,
    unit.started_at,
    unit.finished_at,
  )
}

export function endUnitRow(sql: Sql, unit: UnitRecord): void {
  sql.run(
    `UPDATE workflow_units SET status = ?, result = ?, output = ?, error = ?, executor = ?, finished_at = ?
     WHERE run_id = ? AND step_id = ? AND element = ?`,
    unit.status,
    text(unit.result),
    unit.output,
    unit.error && JSON.stringify(unit.error),
    unit.executor,
    unit.finished_at,
    unit.run_id,
    unit.step_id,
    unit.element,
  )
}
