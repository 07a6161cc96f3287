/** The JSON the API shows for cron triggers and their runs. */
import type { CronRecord, CronRunRecord } from './cron-store'
import { cronRunId } from './cron-targets'

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString()

/** Where a started run's status is read from: its job, or its workflow run. */
export interface RunStatusLookups {
  job(id: string): string | undefined
  workflowRun(id: string): string | undefined
}

/**
 * One run: its id and tick, and its status. A started job or workflow run shows that job's or
 * run's own status (`pending`, `running`, `completed`, ...; `missing` once it was deleted).
 */
export function cronRunView(run: CronRunRecord, lookups: RunStatusLookups) {
  let status: string = run.status
  if (run.status === 'started' && run.job_id !== null) status = lookups.job(run.job_id) ?? 'missing'
  else if (run.status === 'started' && run.workflow_run_id !== null)
    status = lookups.workflowRun(run.workflow_run_id) ?? 'missing'
  return {
    id: cronRunId(run.name, run.tick),
    tick: iso(run.tick),
    fired_at: iso(run.fired_at),
    target: run.kind,
    status,
    ...(run.missed && { missed: true }),
    ...(run.job_id !== null && { job_id: run.job_id }),
    ...(run.workflow_run_id !== null && { workflow_run_id: run.workflow_run_id }),
    ...(run.kind === 'function' && { function_status: run.http_status }),
    ...(run.finished_at !== null && { finished_at: iso(run.finished_at) }),
    ...(run.error !== null && { error: run.error }),
  }
}

export type CronRunView = ReturnType<typeof cronRunView>

/** A trigger with its next run and its newest runs first. */
export function cronView(trigger: CronRecord, nextRun: number | undefined, runs: CronRunView[]) {
  const { schedule, timezone, missed, target } = trigger.body
  return {
    name: trigger.name,
    namespace: trigger.namespace,
    schedule,
    timezone,
    missed,
    target,
    next_run: iso(nextRun),
    created_at: iso(trigger.created_at),
    updated_at: iso(trigger.updated_at),
    runs,
  }
}
