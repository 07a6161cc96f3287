/** Waiting for a job to end in steps the server allows, and the exit code its ending gives. */
import type { Api } from './api-client'
import type { JobView } from './api-views'
import { EXIT } from './cli-error'

/** The longest single `?wait=` asked for; the server's own cap (maxWaitSeconds) is 300. */
export const WAIT_STEP_SECONDS = 60

const finished = (job: JobView) =>
  job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled'

/** Waits up to `seconds` (Infinity: until it ends) with as many `?wait=` calls as that takes. */
export async function waitForJob(api: Api, job: JobView, seconds: number): Promise<JobView> {
  const until = Date.now() + seconds * 1000
  let current = job
  while (!finished(current)) {
    const left = (until - Date.now()) / 1000
    if (left <= 0) break
    current = await api.job(current.id, Math.max(1, Math.min(WAIT_STEP_SECONDS, Math.ceil(left))))
  }
  return current
}

/** 0 completed, 1 failed or cancelled, 124 still pending or running when the wait ended. */
export function exitCodeOf(job: JobView): number {
  if (job.status === 'completed') return EXIT.ok
  if (job.status === 'failed' || job.status === 'cancelled') return EXIT.failed
  return EXIT.unfinished
}
