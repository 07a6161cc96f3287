/**
 * Running standalone services: a run becomes a native job, queued only when some connected runner
 * could take it (else the caller learns at once why none can), its inputs resolved (inline, or
 * earlier jobs' outputs); and a runner running one may, with its job token, fetch an uploaded
 * service's files and the outputs its run takes as inputs.
 */
import { checkDeclared, type SecretNamesSource } from '../secrets/secret-service'
import type { JobRecord, NewJob } from '../jobs/job-record'
import { HttpError } from '../http-error'
import type { FileStore } from '../storage/file-store'
import { unfit } from '../volunteers/native-fit'
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { RunInputs } from './native-service-jobs'
import { referencedOutputs, type OutputSource } from './output-refs'
import { runInputs } from './run-inputs'
import type { RunnerDirectory } from './runner-directory'
import type { ServiceRecord } from './service-record'
import type { RunBody } from './service-schemas'
import { stricterRequirements } from './stricter-requirements'
import type { WorkSpec } from '../placement/work'

/** What runs need of the job engine. */
export interface ServiceJobs {
  submit(jobs: NewJob[]): JobRecord[]
  get(id: string): JobRecord | undefined
  /** The token a runner shows for a job's current attempt. */
  jobToken(id: string): { attempt: number; token: string } | undefined
  /** A job's code blob by its hash: a native job's private inputs. */
  codeOf(hash: string): string
}

export interface ServiceRunsDeps {
  jobs: ServiceJobs
  runners: RunnerDirectory
  files: FileStore | undefined
  /** Native jobs' outputs, which runs may take as inputs; absent where the host keeps none. */
  outputs: OutputSource['outputs']
  sha256: (text: string) => string | Promise<string>
  /** A service by id, or a 404. */
  get(id: number): ServiceRecord
  /** Whether a peer orchestrator could run this work (a run no runner here fits). */
  elsewhere?: ((work: WorkSpec) => boolean) | undefined
  /** Where declared secrets are checked to exist; undefined: the host has no secrets key. */
  secrets?: SecretNamesSource | undefined
}

/** How the workflow engine runs a service besides what the public body says. */
export interface RunOptions {
  /** The workflow run the job belongs to: its runner keeps it under workflows/{orchestrator}/{run}/. */
  workflowRun?: string
  /** A caller-chosen job id; a run submitted again with it gets the job it already names. */
  jobId?: string
}

/** A caller-chosen id: what job ids may be (the protocol's 128 characters), nothing odd. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export class ServiceRuns {
  constructor(private readonly deps: ServiceRunsDeps) {}

  /** Queues a run of `service` on a runner that fits; fails at once, naming why, when none could. */
  async run(service: ServiceRecord, body: RunBody, options: RunOptions = {}): Promise<JobRecord> {
    if (service.status !== 'ACTIVE')
      throw new HttpError(409, 'SERVICE_INACTIVE', `service ${service.id} is not active`)
    const again = options.jobId === undefined ? undefined : this.existing(options.jobId, service)
    if (again) return again
    // The service's own secrets and the run's, each set once.
    const secrets = [...new Set([...(service.secrets ?? []), ...(body.secrets ?? [])])]
    checkDeclared(this.deps.secrets, service.namespace, secrets)
    const requirements = body.requirements
      ? stricterRequirements(service.capabilities, body.requirements)
      : undefined
    const resolve = () =>
      runInputs(service, body, { job: (id) => this.deps.jobs.get(id), outputs: this.deps.outputs })
    this.checkSomeRunnerFits(service, requirements ?? service.capabilities, () => {
      const inputs = resolve()
      return service.source === 'upload' && !inputs.input_refs?.length && !inputs.stdin_ref
    })
    const inputs = resolve()
    const code = JSON.stringify(inputs)
    const [job] = this.deps.jobs.submit([
      {
        ...(options.jobId !== undefined && { id: options.jobId }),
        job_type: 'native',
        namespace: service.namespace,
        code,
        code_hash: await this.deps.sha256(code),
        input_data: {
          service_id: service.id,
          service_name: service.name,
          // The version this run runs; an update after it is queued does not change what it runs.
          service_version: service.version,
          ...(body.arguments && { arguments: body.arguments }),
          ...(requirements && { requirements }),
          ...(options.workflowRun !== undefined && { workflow_run: options.workflowRun }),
        },
        timeout_ms: service.timeout_seconds * 1000,
        max_retries: body.max_retries ?? 0,
        batch_id: null,
        ...(secrets.length > 0 && { secrets }),
      },
    ])
    return job as JobRecord
  }

  /**
   * The outputs of other jobs that the runner holding `jobId`'s current attempt (shown by `token`)
   * may read: those its run takes as inputs. Undefined when the token is not that attempt's.
   */
  readableBy(
    jobId: string,
    token: string | undefined,
  ): { job_id: string; output: string }[] | undefined {
    const held = this.deps.jobs.jobToken(jobId)
    const job = this.deps.jobs.get(jobId)
    if (!held || !token || held.token !== token || job?.job_type !== 'native') return undefined
    return referencedOutputs(JSON.parse(this.deps.jobs.codeOf(job.code_hash) || '{}') as RunInputs)
  }

  /** A runner fetching an uploaded service's file must be running one of its jobs. */
  async file(
    id: number,
    path: string,
    jobId: string | undefined,
    token: string | undefined,
  ): Promise<ReadableStream<Uint8Array>> {
    const service = this.deps.get(id)
    const job = jobId ? this.deps.jobs.get(jobId) : undefined
    const held = jobId ? this.deps.jobs.jobToken(jobId) : undefined
    const input = job?.input_data as { service_id?: number } | null | undefined
    if (!held || !token || held.token !== token || input?.service_id !== id)
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'only a runner running this service may fetch its files',
      )
    if (!service.files.some((f) => f.path === path) || !this.deps.files)
      throw new HttpError(404, 'FILE_NOT_FOUND', `service ${id} has no file '${path}'`)
    const stream = await this.deps.files.read(service.name, path)
    if (!stream) throw new HttpError(404, 'FILE_NOT_FOUND', `service ${id} has no file '${path}'`)
    return stream
  }

  /** The job a caller-chosen id already names, when it is a run of this service. */
  private existing(jobId: string, service: ServiceRecord): JobRecord | undefined {
    if (!JOB_ID.test(jobId))
      throw new HttpError(400, 'INVALID_REQUEST', `'${jobId}' is not a job id`, { field: 'id' })
    const job = this.deps.jobs.get(jobId)
    if (!job) return undefined
    const input = job.input_data as { service_id?: number } | null
    if (job.namespace === service.namespace && input?.service_id === service.id) return job
    throw new HttpError(
      409,
      'JOB_EXISTS',
      `job ${jobId} exists and is not a run of service ${service.id}`,
      {
        field: 'id',
      },
    )
  }

  /**
   * Fails, naming why, when no runner here fits the run and no peer orchestrator offers one that
   * does (only an uploaded service's run with inline inputs may go to a peer: `portable`).
   */
  private checkSomeRunnerFits(
    service: ServiceRecord,
    requirements: ServiceRequirements,
    portable: () => boolean,
  ): void {
    const refusal = this.refusal(service, requirements)
    if (!refusal) return
    const native = { peerId: service.peer_id, requirements, portable: portable() }
    if (this.deps.elsewhere?.({ runtime: 'native', namespace: service.namespace, native })) return
    throw refusal
  }

  /** Why no runner here can take a run of `service`, or undefined when one can. */
  private refusal(
    service: ServiceRecord,
    requirements: ServiceRequirements,
  ): HttpError | undefined {
    const work = {
      namespace: service.namespace,
      native: { peerId: service.peer_id, requirements },
    }
    const runners = this.deps.runners.runners().filter((r) => r.state === 'active')
    if (service.peer_id && !runners.some((r) => r.peer?.id === service.peer_id))
      return new HttpError(
        503,
        'RUNNER_OFFLINE',
        `the runner that holds this service's executable (peer ${service.peer_id}) is not connected`,
        { headers: { 'retry-after': '5' } },
      )
    const candidates = service.peer_id
      ? runners.filter((r) => r.peer?.id === service.peer_id)
      : runners
    if (candidates.length === 0)
      return new HttpError(
        503,
        'NO_RUNNERS',
        'no runner is connected; start one with `npx zerverless-runner --orchestrator <url>`',
        { headers: { 'retry-after': '5' } },
      )
    const reasons = candidates.map((r) => ({ peer: r.peer?.id, why: unfit(work, r) }))
    if (reasons.some((r) => r.why === undefined)) return undefined
    const message =
      reasons.length === 1
        ? (reasons[0]?.why ?? '')
        : reasons.map((r) => `${r.peer}: ${r.why}`).join('; ')
    return new HttpError(
      409,
      'NO_COMPATIBLE_RUNNER',
      `no connected runner can run it: ${message}`,
      {
        reasons: reasons.map((r) => ({ peer_id: r.peer, reason: r.why })),
      },
    )
  }
}
