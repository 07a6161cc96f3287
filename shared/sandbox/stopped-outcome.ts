/** The outcome the pool gives a job it stopped itself: at its deadline, or cancelled. */
import type { RunnableJob } from '../agent/agent-ports'
import type { JobError } from '../protocol/job'
import { formatSeconds, type RunOutcome } from '../runtime/runtime'

/** `message` defaults to the timeout's, naming the job's own limit. */
export function stopped(
  job: RunnableJob,
  code: 'TIMEOUT' | 'CANCELLED',
  message: string | undefined,
  durationMs: number,
): RunOutcome {
  const error: JobError = {
    code,
    message: message ?? `job exceeded its timeout of ${formatSeconds(job.timeout_ms)}`,
  }
  return { ok: false, error, output: '', durationMs }
}
