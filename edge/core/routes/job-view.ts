/** A stored job as the API shows it: its code, progress, quorum and output files joined in. */
import { isFinished } from '../../../shared/protocol/job'
import { toJobView, type JobProgressView, type JobRecord, type JobView } from '../jobs/job-record'
import type { Scheduler } from '../jobs/scheduler'
import type { Progress } from '../placement/work'
import type { JobOutputs } from '../services/job-outputs'

/** What a job's view is made from. */
export interface JobViewSources {
  jobs: Pick<Scheduler, 'codeOf' | 'progressOf' | 'quorumOf'>
  /** Native jobs' output files, where the host keeps them. */
  outputs: Pick<JobOutputs, 'list'> | undefined
}

export type JobViewer = (job: JobRecord) => JobView

export function jobViewer({ jobs, outputs }: JobViewSources): JobViewer {
  return (job) => {
    const shown = toJobView(job, jobs.codeOf(job.code_hash))
    const heard = isFinished(job.status) ? undefined : jobs.progressOf(job.id)
    const files =
      job.job_type === 'native' && outputs
        ? outputs.list(job.id).map((f) => ({
            name: f.name,
            size: f.size,
            sha256: f.sha256,
            url: `/api/jobs/${job.id}/outputs/${f.name}`,
          }))
        : undefined
    const quorum = jobs.quorumOf(job)
    return {
      ...shown,
      ...(quorum && { quorum }),
      progress: heard ? progressView(heard) : null,
      ...(files && { outputs: files }),
    }
  }
}

function progressView({ fraction, message, at }: Progress): JobProgressView {
  return {
    fraction: fraction ?? null,
    message: message ?? null,
    at: new Date(at ?? Date.now()).toISOString(),
  }
}
