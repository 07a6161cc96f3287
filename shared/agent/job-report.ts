/**
 * A job's outcome as the frame that reports it: `result`, or `error` with the message and
 * traceback clipped to what the orchestrator keeps, and whether another volunteer should retry.
 */
import { clip, MAX_ERROR_MESSAGE, MAX_TRACEBACK } from '../protocol/errors'
import type { JobFrame, VolunteerFrame } from '../protocol/frames'
import type { RunOutcome } from '../runtime/runtime'

/** An outcome; `retryable` marks a failure that was this volunteer's, not the job's. */
export type JobOutcome = RunOutcome & { retryable?: boolean }

/** The `result` or `error` frame for `outcome`, addressed to the job's attempt. */
export function reportFrame(job: JobFrame, outcome: JobOutcome): VolunteerFrame {
  const streams = {
    ...(outcome.stderr !== undefined && { stderr: outcome.stderr }),
    ...(outcome.exitCode !== undefined && { exit_code: outcome.exitCode }),
  }
  const ref = { job_id: job.job_id, attempt: job.attempt }
  if (outcome.ok)
    return { type: 'result', ...ref, result: outcome.result, output: outcome.output, ...streams }
  const { message, traceback } = outcome.error
  const error = {
    ...outcome.error,
    message: clip(message, MAX_ERROR_MESSAGE),
    ...(traceback !== undefined && { traceback: clip(traceback, MAX_TRACEBACK) }),
  }
  return {
    type: 'error',
    ...ref,
    error,
    output: outcome.output,
    ...streams,
    ...(outcome.retryable && { retryable: true }),
  }
}
