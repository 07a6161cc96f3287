/**
 * Cron triggers and their runs in SQL (the same schema on both hosts). Firing a tick is one
 * transaction: the trigger's mark moves to the tick and the run's row is inserted, so a tick is
 * claimed once whatever happens after; history is trimmed to the newest runs per trigger.
 */
import type { Sql } from '../store/sql'
import type { CronBody } from './cron-schemas'

/** How many runs each trigger keeps. */
export const CRON_HISTORY = 50

export interface CronRecord {
  namespace: string
  name: string
  body: CronBody
  /** The latest tick fired or skipped (epoch ms); ticks after it are due. */
  last_tick: number
  created_at: number
  updated_at: number
}

export type CronTargetKind = 'function' | 'job' | 'workflow'

/**
 * `starting`: claimed, the target not yet started (finished after a crash); `started`: the job or
 * workflow run exists (its own status says the rest); `running`: a function call is out;
 * `completed`: the function answered; `failed`: the target could not be started or called.
 */
type CronRunStatus = 'starting' | 'started' | 'running' | 'completed' | 'failed'

export interface CronRunRecord {
  namespace: string
  name: string
  tick: number
  kind: CronTargetKind
  status: CronRunStatus
  job_id: string | null
  workflow_run_id: string | null
  http_status: number | null
  error: { code: string; message: string } | null
  /** It ran for ticks missed while the orchestrator was down (`missed: "once"`). */
  missed: boolean
  fired_at: number
  finished_at: number | null
}

interface TriggerRow extends Omit<CronRecord, 'body'> {
  body: string
}

interface RunRow extends Omit<CronRunRecord, 'error' | 'missed'> {
  error: string | null
  missed: number
}

const TRIGGER_COLUMNS = 'namespace, name, body, last_tick, created_at, updated_at'
const RUN_COLUMNS =
  'namespace, name, tick, kind, status, job_id, workflow_run_id, http_status, error, missed, fired_at, finished_at'

const triggerOf = (row: TriggerRow): CronRecord => ({
  ...row,
  body: JSON.parse(row.body) as CronBody,
})
const runOf = (row: RunRow): CronRunRecord => ({
  ...row,
  error: row.error === null ? null : (JSON.parse(row.error) as CronRunRecord['error']),
  missed: row.missed === 1,
})

export class CronStore {
  constructor(private readonly sql: Sql) {}

  /** Creates or replaces the trigger; a replaced one keeps its runs and its creation time. */
  put(namespace: string, name: string, body: CronBody, lastTick: number, now: number): boolean {
    return this.sql.transaction(() => {
      const existed = this.get(namespace, name) !== undefined
      this.sql.run(
        `INSERT INTO cron_triggers (${TRIGGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name) DO UPDATE SET body = excluded.body,
           last_tick = excluded.last_tick, updated_at = excluded.updated_at`,
        namespace,
        name,
        JSON.stringify(body),
        lastTick,
        now,
        now,
      )
      return !existed
    })
  }

  /** Removes the trigger and its history; false when there was none. */
  remove(namespace: string, name: string): boolean {
    return this.sql.transaction(() => {
      this.sql.run('DELETE FROM cron_runs WHERE namespace = ? AND name = ?', namespace, name)
      return (
        this.sql.run(
          'DELETE FROM cron_triggers WHERE namespace = ? AND name = ?',
          namespace,
          name,
        ) > 0
      )
    })
  }

  get(namespace: string, name: string): CronRecord | undefined {
    const row = this.sql.get<TriggerRow>(
      `SELECT ${TRIGGER_COLUMNS} FROM cron_triggers WHERE namespace = ? AND name = ?`,
      namespace,
      name,
    )
    return row && triggerOf(row)
  }

  list(namespace: string): CronRecord[] {
    return this.sql
      .all<TriggerRow>(
        `SELECT ${TRIGGER_COLUMNS} FROM cron_triggers WHERE namespace = ? ORDER BY name`,
        namespace,
      )
      .map(triggerOf)
  }

  count(namespace: string): number {
    return (
      this.sql.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM cron_triggers WHERE namespace = ?',
        namespace,
      )?.n ?? 0
    )
  }

  /** Every trigger of every namespace here, for the in-memory due times. */
  all(): CronRecord[] {
    return this.sql.all<TriggerRow>(`SELECT ${TRIGGER_COLUMNS} FROM cron_triggers`).map(triggerOf)
  }

  /**
   * Moves the trigger's mark to `tick` and, with `run`, records the tick's run as `starting`;
   * false (and nothing written) when the tick was claimed already or the trigger is gone.
   */
  claim(
    namespace: string,
    name: string,
    tick: number,
    run: { kind: CronTargetKind; missed: boolean } | undefined,
    now: number,
  ): boolean {
    return this.sql.transaction(() => {
      const moved = this.sql.run(
        'UPDATE cron_triggers SET last_tick = ? WHERE namespace = ? AND name = ? AND last_tick < ?',
        tick,
        namespace,
        name,
        tick,
      )
      if (moved === 0 || run === undefined) return moved > 0
      this.sql.run(
        `INSERT INTO cron_runs (namespace, name, tick, kind, status, missed, fired_at) VALUES (?, ?, ?, ?, 'starting', ?, ?)`,
        namespace,
        name,
        tick,
        run.kind,
        run.missed ? 1 : 0,
        now,
      )
      this.sql.run(
        `DELETE FROM cron_runs WHERE namespace = ? AND name = ? AND tick <= (
           SELECT tick FROM cron_runs WHERE namespace = ? AND name = ?
           ORDER BY tick DESC LIMIT 1 OFFSET ?)`,
        namespace,
        name,
        namespace,
        name,
        CRON_HISTORY,
      )
      return true
    })
  }

  /** Records what became of a run (a row trimmed or deleted meanwhile is left alone). */
  update(
    run: Pick<CronRunRecord, 'namespace' | 'name' | 'tick'>,
    change: Partial<
      Pick<
        CronRunRecord,
        'status' | 'job_id' | 'workflow_run_id' | 'http_status' | 'error' | 'finished_at'
      >
    >,
  ): void {
    const fields = Object.keys(change) as (keyof typeof change)[]
    if (fields.length === 0) return
    const values = fields.map((field) => {
      const value = change[field]
      if (field === 'error') return value === null ? null : JSON.stringify(value)
      return (value ?? null) as string | number | null
    })
    this.sql.run(
      `UPDATE cron_runs SET ${fields.map((f) => `${f} = ?`).join(', ')}
       WHERE namespace = ? AND name = ? AND tick = ?`,
      ...values,
      run.namespace,
      run.name,
      run.tick,
    )
  }

  /** The trigger's newest runs first. */
  runs(namespace: string, name: string, limit: number): CronRunRecord[] {
    return this.sql
      .all<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM cron_runs WHERE namespace = ? AND name = ? ORDER BY tick DESC LIMIT ?`,
        namespace,
        name,
        limit,
      )
      .map(runOf)
  }

  /** Runs a crash cut off: claimed but not started, or a function call that was out. */
  unfinished(): CronRunRecord[] {
    return this.sql
      .all<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM cron_runs WHERE status IN ('starting', 'running') ORDER BY tick`,
      )
      .map(runOf)
  }
}
