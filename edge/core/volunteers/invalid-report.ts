/** A volunteer's report the hub could not believe, turned into a retryable failure of its job. */
import type { JobErrorFrame } from '../../../shared/protocol/frames'
import type { JobRef } from './job-ref'

/** The error report that stands for an invalid one: the job runs elsewhere, the guest not blamed. */
export function invalidReport(ref: JobRef, why: string): JobErrorFrame {
  return {
    type: 'error',
    job_id: ref.job_id,
    attempt: ref.attempt,
    error: {
      code: 'WORKER_CRASHED',
      message: `the volunteer sent an invalid report: ${why}`.slice(0, 1024),
    },
    retryable: true,
  }
}
