/**
 * SQLite's plan for the orchestrator's own list queries, against a live data directory: the real
 * `Scheduler.list` (over the real `JobStore`) runs on an `Sql` that asks `EXPLAIN QUERY PLAN`
 * instead of querying, so the plans are of the exact SQL GET /api/jobs sends, not of a copy.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { Scheduler } from '../../edge/core/jobs/scheduler'
import { JobStore, type ListQuery } from '../../edge/core/store/job-store'
import type { Sql, SqlValue } from '../../edge/core/store/sql'

export interface QueryPlan {
  query: string
  /** EXPLAIN QUERY PLAN's `detail` lines, e.g. "SEARCH jobs USING INDEX jobs_by_status (status=?)". */
  plan: string[]
}

export function listQueryPlans(
  dataDir: string,
  queries: Record<string, ListQuery>,
): Record<string, QueryPlan[]> {
  const db = new Database(path.join(dataDir, 'zerverless.db'), {
    readonly: true,
    fileMustExist: true,
  })
  try {
    let plans: QueryPlan[] = []
    const explain = (query: string, params: SqlValue[]) => {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${query}`).all(...params) as { detail: string }[]
      const plan = rows.map((r) => r.detail)
      plans.push({ query: query.replace(/\s+/g, ' ').trim(), plan })
    }
    const planner: Sql = {
      all: <T>(query: string, ...params: SqlValue[]) => (explain(query, params), [] as T[]),
      get: (query: string, ...params: SqlValue[]) => (explain(query, params), undefined),
      run: () => 0,
      transaction: (fn) => fn(),
      durable: () => Promise.resolve(),
    }
    // Its constructor's own reads (restoring the queue) find nothing here and are not reported.
    const scheduler = new Scheduler(new JobStore(planner), {
      timeoutGraceMs: 0,
      durable: () => Promise.resolve(),
    })
    const out: Record<string, QueryPlan[]> = {}
    for (const [name, query] of Object.entries(queries)) {
      plans = []
      scheduler.list(query)
      out[name] = plans
    }
    return out
  } finally {
    db.close()
  }
}
