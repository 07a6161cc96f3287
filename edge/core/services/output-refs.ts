/**
 * Turns a run's references to earlier jobs' outputs (`input_files` with `from_job`, `stdin_from`)
 * into what the runner fetches: each output's name, size and sha256 as stored when the run is
 * submitted, so a file that changes afterwards is caught by the runner rather than used.
 */
import type { InputRef, OutputRef } from '../../../shared/protocol/frames'
import { isFinished } from '../../../shared/protocol/job'
import { HttpError } from '../http-error'
import type { JobRecord } from '../jobs/job-record'
import type { OutputFile } from './job-outputs'

/** Most files one `outputs` prefix may bring. */
const MAX_PREFIX_FILES = 256

/** Where references are looked up: the jobs, and the outputs their runners uploaded. */
export interface OutputSource {
  job(id: string): JobRecord | undefined
  /** Absent where the host keeps no outputs. */
  outputs:
    | {
        info(jobId: string, name: string): OutputFile | undefined
        list(jobId: string): OutputFile[]
      }
    | undefined
}

/**
 * One output of a finished job of `namespace`. `at` names the reference's parts in errors
 * (`input_files.0.from_job`); `field` is the body's field, as the API's errors name it.
 */
export function outputRef(
  source: OutputSource,
  namespace: string,
  ref: { job: string; output: string },
  at: { job: string; output: string },
): OutputRef {
  const outputs = finishedJob(source, namespace, ref.job, at.job)
  const file = outputs.info(ref.job, ref.output)
  if (!file)
    throw refused(
      400,
      'OUTPUT_NOT_FOUND',
      at.output,
      `job ${ref.job} has no output '${ref.output}'`,
    )
  return { job_id: ref.job, output: file.name, sha256: file.sha256, size: file.size }
}

/**
 * Every output of a finished job under `prefix` ("mounts/out/"), named by the path below it. None
 * is no error: a step may well leave its OUTPUT mount empty, and the next then gets an empty one.
 */
export function outputRefsUnder(
  source: OutputSource,
  namespace: string,
  ref: { job: string; prefix: string },
  at: { job: string; outputs: string },
): (OutputRef & { below: string })[] {
  const outputs = finishedJob(source, namespace, ref.job, at.job)
  const prefix = ref.prefix.endsWith('/') ? ref.prefix : `${ref.prefix}/`
  const files = outputs.list(ref.job).filter((f) => f.name.startsWith(prefix))
  if (files.length > MAX_PREFIX_FILES)
    throw refused(
      400,
      'INVALID_REQUEST',
      at.outputs,
      `job ${ref.job} has ${files.length} outputs under '${prefix}', more than the ${MAX_PREFIX_FILES} a prefix may bring: name a narrower one`,
    )
  return files.map((f) => ({
    job_id: ref.job,
    output: f.name,
    sha256: f.sha256,
    size: f.size,
    below: f.name.slice(prefix.length),
  }))
}

/** The outputs a job keeps, once it is known to be a finished job the caller may read. */
function finishedJob(
  source: OutputSource,
  namespace: string,
  jobId: string,
  at: string,
): NonNullable<OutputSource['outputs']> {
  const job = source.job(jobId)
  // Another namespace's job is as unknown as one that never was: its existence is not ours to tell.
  if (!job || job.namespace !== namespace)
    throw refused(404, 'JOB_NOT_FOUND', at, `no job with id ${jobId} in namespace '${namespace}'`)
  if (!isFinished(job.status))
    throw refused(
      409,
      'JOB_NOT_FINISHED',
      at,
      `job ${jobId} is ${job.status}: its outputs are not final until it ends`,
    )
  if (!source.outputs)
    throw refused(400, 'INVALID_REQUEST', at, 'this orchestrator keeps no job outputs')
  return source.outputs
}

/** `input_files.0.output: …`, with the body's field as the API names it (`input_files`). */
function refused(status: 400 | 404 | 409, code: string, at: string, message: string): HttpError {
  return new HttpError(status, code, `${at}: ${message}`, { field: at.split('.')[0] })
}

/** The outputs a native job's private inputs reference: all its runner may read of other jobs. */
export function referencedOutputs(inputs: {
  input_refs?: InputRef[]
  stdin_ref?: OutputRef
}): { job_id: string; output: string }[] {
  return [...(inputs.input_refs ?? []), ...(inputs.stdin_ref ? [inputs.stdin_ref] : [])]
}
