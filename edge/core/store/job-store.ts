/** Jobs in SQL: one implementation for both hosts, since both speak SQLite. */
import type { JobError, JobStatus, Runtime } from '../../../shared/protocol/job'
import { JOB_STATUSES } from '../../../shared/protocol/job'
import type { JsonValue } from '../../../shared/protocol/json'
import { dbAccessFrom, type Executor } from '../jobs/executor-policy'
import { secretNamesFrom, secretNamesText } from '../secrets/secret-names'
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { Sql, SqlValue } from './sql'

interface JobRow {
  seq: number
  id: string
  job_type: string
  namespace: string
  code_hash: string
  input_data: string | null
  timeout_ms: number
  max_retries: number
  status: string
  result: string | null
  output: string | null
  error: string | null
  volunteer_id: string | null
  attempts: number
  batch_id: string | null
  batch_index: number | null
  created_at: number
  started_at: number | null
  completed_at: number | null
  wasm_cid: string | null
  args: string | null
  env: string | null
  stderr: string | null
  exit_code: number | null
  redundancy: number
  executor: string
  untrusted_db: string | null
  secrets: string | null
}

const COLUMNS = `seq, id, job_type, namespace, code_hash, input_data, timeout_ms, max_retries, status,
  result, output, error, volunteer_id, attempts, batch_id, created_at, started_at, completed_at,
  wasm_cid, args, env, stderr, exit_code, redundancy, executor, untrusted_db, secrets, batch_index`

function fromRow(row: JobRow): JobRecord {
  return {
    ...row,
    job_type: row.job_type as JobRecord['job_type'],
    status: row.status as JobStatus,
    input_data: row.input_data === null ? null : JSON.parse(row.input_data),
    result: row.result === null ? undefined : (JSON.parse(row.result) as JsonValue),
    error: row.error === null ? null : (JSON.parse(row.error) as JobError),
    args: row.args === null ? null : (JSON.parse(row.args) as string[]),
    env: row.env === null ? null : (JSON.parse(row.env) as Record<string, string>),
    executor: row.executor as Executor,
    untrusted_db: dbAccessFrom(row.untrusted_db),
    secrets: secretNamesFrom(row.secrets),
  }
}

export interface ListQuery {
  status?: JobStatus
  namespace?: string
  batchId?: string
  /** `newest` first (the default), or `input`: oldest first, a batch's jobs as its inputs were. */
  order?: 'newest' | 'input'
  limit: number
  offset: number
}

/** What a finished attempt leaves besides its result. */
interface Streams {
  output?: string | null
  stderr?: string | null
  exit_code?: number | null
  /** Who ran it when that is more than the site it started on (a peer's volunteer). */
  executed_by?: string | undefined
}

export type Finish =
  | ({ status: 'completed'; result: JsonValue } & Streams)
  | ({ status: 'failed' | 'cancelled'; error: JobError } & Streams)

/** The columns a pending job needs to be queued again after a restart. */
export interface PendingRow {
  seq: number
  id: string
  job_type: JobRecord['job_type']
  namespace: string
  redundancy: number
  executor: Executor
  /** The names of the secrets it declares (none: empty). */
  secrets: string[]
}

export interface RunningRow extends PendingRow {
  /** JSON text (see executor-policy.ts dbAccessFrom). */
  untrusted_db: string | null
  volunteer_id: string | null
  attempts: number
  started_at: number | null
  timeout_ms: number
}

export class JobStore {
  constructor(readonly sql: Sql) {}

  /** Inserts jobs atomically: all of a batch is stored, or none of it. */
  insert(jobs: NewJob[], ids: string[], now: number): JobRecord[] {
    return this.sql.transaction(() => {
      const codes = new Set<string>()
      for (const job of jobs) {
        if (codes.has(job.code_hash)) continue
        codes.add(job.code_hash)
        this.sql.run(
          'INSERT OR IGNORE INTO code_blobs (hash, code) VALUES (?, ?)',
          job.code_hash,
          job.code,
        )
      }
      return jobs.map((job, i) => {
        const id = ids[i] as string
        const input = job.input_data === null ? null : JSON.stringify(job.input_data)
        const inserted = this.sql.get<{ seq: number }>(
          `INSERT INTO jobs (id, job_type, namespace, code_hash, input_data, timeout_ms, max_retries, status, batch_id, created_at, wasm_cid, args, env, redundancy, executor, untrusted_db, secrets, batch_index)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
          id,
          job.job_type,
          job.namespace,
          job.code_hash,
          input,
          job.timeout_ms,
          job.max_retries,
          job.batch_id,
          now,
          job.wasm_cid ?? null,
          job.args ? JSON.stringify(job.args) : null,
          job.env ? JSON.stringify(job.env) : null,
          job.redundancy ?? 1,
          job.executor ?? 'any',
          job.untrusted_db ? JSON.stringify(job.untrusted_db) : null,
          secretNamesText(job.secrets),
          job.batch_index ?? null,
        )
        const seq = inserted?.seq ?? 0
        return {
          seq,
          id,
          job_type: job.job_type,
          namespace: job.namespace,
          code_hash: job.code_hash,
          input_data: job.input_data,
          timeout_ms: job.timeout_ms,
          max_retries: job.max_retries,
          status: 'pending',
          result: undefined,
          output: null,
          error: null,
          volunteer_id: null,
          attempts: 0,
          batch_id: job.batch_id,
          batch_index: job.batch_index ?? null,
          created_at: now,
          wasm_cid: job.wasm_cid ?? null,
          args: job.args ?? null,
          env: job.env ?? null,
          stderr: null,
          exit_code: null,
          started_at: null,
          completed_at: null,
          redundancy: job.redundancy ?? 1,
          executor: job.executor ?? 'any',
          untrusted_db: job.untrusted_db ?? { read: [], write: [] },
          secrets: job.secrets ?? [],
        } satisfies JobRecord
      })
    })
  }

  get(id: string): JobRecord | undefined {
    const row = this.sql.get<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`, id)
    return row && fromRow(row)
  }

  /** Stores a WebAssembly module once; true when it was new. */
  putModule(cid: string, bytes: Uint8Array, now: number): boolean {
    return (
      this.sql.run(
        'INSERT OR IGNORE INTO wasm_modules (cid, bytes, size, created_at) VALUES (?, ?, ?, ?)',
        cid,
        bytes,
        bytes.length,
        now,
      ) > 0
    )
  }

  module(cid: string): Uint8Array | undefined {
    const row = this.sql.get<{ bytes: Uint8Array | ArrayBuffer }>(
      'SELECT bytes FROM wasm_modules WHERE cid = ?',
      cid,
    )
    if (!row) return undefined
    return row.bytes instanceof Uint8Array ? row.bytes : new Uint8Array(row.bytes)
  }

  hasModule(cid: string): boolean {
    return (
      this.sql.get<{ one: number }>('SELECT 1 AS one FROM wasm_modules WHERE cid = ?', cid) !==
      undefined
    )
  }

  /** Jobs not yet ended in namespaces that start with `prefix` (`_` and `%` are taken literally). */
  unfinishedIn(prefix: string): string[] {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    return this.sql
      .all<{ id: string }>(
        `SELECT id FROM jobs WHERE status IN ('pending', 'running') AND namespace LIKE ? ESCAPE '\\'`,
        pattern,
      )
      .map((row) => row.id)
  }

  code(hash: string): string | undefined {
    return this.sql.get<{ code: string }>('SELECT code FROM code_blobs WHERE hash = ?', hash)?.code
  }

  /**
   * Newest first, as the original listed them, or (`order: 'input'`) oldest first: a batch's
   * jobs are inserted in the order of its inputs, so `seq` is their index order. `knownTotal`: the caller already knows how many
   * jobs match (the scheduler counts jobs by status in memory), so the COUNT is skipped; it walks
   * every matching index entry, ~5 ms a page at 100,000 pending.
   */
  list(query: ListQuery, knownTotal?: number): { jobs: JobRecord[]; total: number } {
    const filters: [string, SqlValue | undefined][] = [
      ['status = ?', query.status],
      ['namespace = ?', query.namespace],
      ['batch_id = ?', query.batchId],
    ]
    const active = filters.filter(([, value]) => value !== undefined)
    const clause = active.length ? `WHERE ${active.map(([sql]) => sql).join(' AND ')}` : ''
    const params = active.map(([, value]) => value as SqlValue)
    const rows = this.sql.all<JobRow>(
      `SELECT ${COLUMNS} FROM jobs ${clause} ORDER BY seq ${query.order === 'input' ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
      ...params,
      query.limit,
      query.offset,
    )
    const total =
      knownTotal ??
      this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs ${clause}`, ...params)?.n ??
      0
    return { jobs: rows.map(fromRow), total }
  }

  /** pending → running for one more attempt; undefined when the job was not pending. */
  start(id: string, volunteerId: string, now: number): JobRecord | undefined {
    const row = this.sql.get<JobRow>(
      `UPDATE jobs SET status = 'running', volunteer_id = ?, attempts = attempts + 1, started_at = ?
       WHERE id = ? AND status = 'pending' RETURNING ${COLUMNS}`,
      volunteerId,
      now,
      id,
    )
    return row && fromRow(row)
  }

  /**
   * Ends a job unless it already ended. Returns the job's batch (null for none), runtime and
   * namespace when this call ended it, undefined when it had ended before.
   */
  finish(
    id: string,
    end: Finish,
    now: number,
  ): { batch_id: string | null; job_type: Runtime; namespace: string } | undefined {
    const result = end.status === 'completed' ? JSON.stringify(end.result) : null
    const error = end.status === 'completed' ? null : JSON.stringify(end.error)
    return this.sql.get<{ batch_id: string | null; job_type: Runtime; namespace: string }>(
      `UPDATE jobs SET status = ?, result = ?, error = ?, output = ?, stderr = ?, exit_code = ?, completed_at = ?,
         volunteer_id = COALESCE(?, volunteer_id)
       WHERE id = ? AND status IN ('pending', 'running') RETURNING batch_id, job_type, namespace`,
      end.status,
      result,
      error,
      end.output ?? null,
      end.stderr ?? null,
      end.exit_code ?? null,
      now,
      end.executed_by ?? null,
      id,
    )
  }

  /**
   * One copy of a redundant job starts: pending or running → running, `attempts` set to the round
   * (not counted up per copy); undefined when the job had ended.
   */
  startCopy(id: string, volunteerId: string, round: number, now: number): JobRecord | undefined {
    const row = this.sql.get<JobRow>(
      `UPDATE jobs SET status = 'running', volunteer_id = ?, attempts = ?, started_at = COALESCE(started_at, ?)
       WHERE id = ? AND status IN ('pending', 'running') RETURNING ${COLUMNS}`,
      volunteerId,
      round,
      now,
      id,
    )
    return row && fromRow(row)
  }

  /** running → pending, for another volunteer to pick up. */
  /** Takes back the count of a start that never ran (a site refused it at once). */
  uncount(id: string): boolean {
    return (
      this.sql.run(
        `UPDATE jobs SET attempts = attempts - 1 WHERE id = ? AND status = 'running' AND attempts > 0`,
        id,
      ) > 0
    )
  }

  requeue(id: string): boolean {
    return (
      this.sql.run(
        `UPDATE jobs SET status = 'pending', volunteer_id = NULL, started_at = NULL WHERE id = ? AND status = 'running'`,
        id,
      ) > 0
    )
  }

  /** Running jobs and who holds them, for a host that kept its sockets across a restart. */
  running(): RunningRow[] {
    return this.sql
      .all<Omit<RunningRow, 'secrets'> & { secrets: string | null }>(
        `SELECT seq, id, job_type, namespace, volunteer_id, attempts, started_at, timeout_ms, redundancy,
         executor, untrusted_db, secrets
       FROM jobs WHERE status = 'running' ORDER BY seq`,
      )
      .map((row) => ({ ...row, secrets: secretNamesFrom(row.secrets) }))
  }

  /** After a restart nothing is running anywhere: put every running job back in the queue. */
  requeueAllRunning(): number {
    return this.sql.run(
      `UPDATE jobs SET status = 'pending', volunteer_id = NULL, started_at = NULL WHERE status = 'running'`,
    )
  }

  pending(): PendingRow[] {
    return this.sql
      .all<Omit<PendingRow, 'secrets'> & { secrets: string | null }>(
        `SELECT seq, id, job_type, namespace, redundancy, executor, secrets FROM jobs WHERE status = 'pending' ORDER BY seq`,
      )
      .map((row) => ({ ...row, secrets: secretNamesFrom(row.secrets) }))
  }

  counts(): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>
    for (const row of this.sql.all<{ status: JobStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status',
    )) {
      counts[row.status] = row.n
    }
    return counts
  }

  /** How many jobs each namespace has ever had (jobs are kept, so this only grows). */
  namespaceTotals(): Map<string, number> {
    const rows = this.sql.all<{ namespace: string; n: number }>(
      'SELECT namespace, COUNT(*) AS n FROM jobs GROUP BY namespace',
    )
    return new Map(rows.map((row) => [row.namespace, row.n]))
  }

  batchCounts(batchId: string): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>
    const rows = this.sql.all<{ status: JobStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM jobs WHERE batch_id = ? GROUP BY status',
      batchId,
    )
    for (const row of rows) counts[row.status] = row.n
    return counts
  }
}
