/**
 * Running standalone services: a run becomes a native job, queued only when some connected runner
 * could take it (else the caller learns at once why none can), and a runner running one may fetch
 * an uploaded service's files with its job token.
 */
import type { JobRecord, NewJob } from '../jobs/job-record'
import { HttpError } from '../http-error'
import type { FileStore } from '../storage/file-store'
import { unfit } from '../volunteers/native-fit'
import type { RunInputs } from './native-service-jobs'
import type { RunnerDirectory } from './runner-directory'
import type { ServiceRecord } from './service-record'
import type { RunBody } from './service-schemas'

/** What runs need of the job engine. */
export interface ServiceJobs {
  submit(jobs: NewJob[]): JobRecord[]
  get(id: string): JobRecord | undefined
  /** The token a runner shows for a job's current attempt. */
  jobToken(id: string): { attempt: number; token: string } | undefined
}

export interface ServiceRunsDeps {
  jobs: ServiceJobs
  runners: RunnerDirectory
  files: FileStore | undefined
  sha256: (text: string) => string | Promise<string>
  /** A service by id, or a 404. */
  get(id: number): ServiceRecord
}

export class ServiceRuns {
  constructor(private readonly deps: ServiceRunsDeps) {}

  /**
   * Queues a run on a runner that fits; fails at once, naming why, when none could. `jobId` is a
   * caller-chosen id for the job (a workflow's deterministic one).
   */
  async run(id: number, body: RunBody, jobId?: string): Promise<JobRecord> {
    const service = this.deps.get(id)
    if (service.status !== 'ACTIVE')
      throw new HttpError(409, 'SERVICE_INACTIVE', `service ${id} is not active`)
    this.checkSomeRunnerFits(service)
    const inputs: RunInputs = {
      ...(body.stdin !== undefined && { stdin: body.stdin }),
      input_files: (body.input_files ?? []).map((file) => ({
        mount: inputMount(service, file.mount),
        name: file.name,
        data: file.data,
      })),
    }
    const code = JSON.stringify(inputs)
    const [job] = this.deps.jobs.submit([
      {
        ...(jobId !== undefined && { id: jobId }),
        job_type: 'native',
        namespace: service.namespace,
        code,
        code_hash: await this.deps.sha256(code),
        input_data: {
          service_id: service.id,
          service_name: service.name,
          ...(body.arguments && { arguments: body.arguments }),
        },
        timeout_ms: service.timeout_seconds * 1000,
        max_retries: body.max_retries ?? 0,
        batch_id: null,
      },
    ])
    return job as JobRecord
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

  private checkSomeRunnerFits(service: ServiceRecord): void {
    const work = {
      namespace: service.namespace,
      native: { peerId: service.peer_id, requirements: service.capabilities },
    }
    const runners = this.deps.runners.runners().filter((r) => r.state === 'active')
    if (service.peer_id && !runners.some((r) => r.peer?.id === service.peer_id))
      throw new HttpError(
        503,
        'RUNNER_OFFLINE',
        `the runner that holds this service's executable (peer ${service.peer_id}) is not connected`,
        { headers: { 'retry-after': '5' } },
      )
    const candidates = service.peer_id
      ? runners.filter((r) => r.peer?.id === service.peer_id)
      : runners
    if (candidates.length === 0)
      throw new HttpError(
        503,
        'NO_RUNNERS',
        'no runner is connected; start one with `npx zerverless-runner --orchestrator <url>`',
        { headers: { 'retry-after': '5' } },
      )
    const reasons = candidates.map((r) => ({ peer: r.peer?.id, why: unfit(work, r) }))
    if (reasons.some((r) => r.why === undefined)) return
    const message =
      reasons.length === 1
        ? (reasons[0]?.why ?? '')
        : reasons.map((r) => `${r.peer}: ${r.why}`).join('; ')
    throw new HttpError(409, 'NO_COMPATIBLE_RUNNER', `no connected runner can run it: ${message}`, {
      reasons: reasons.map((r) => ({ peer_id: r.peer, reason: r.why })),
    })
  }
}

/** The INPUT mount a run's file goes to: the one named, or the service's first. */
function inputMount(service: ServiceRecord, wanted: string | undefined): string {
  const mounts = service.interfaces.filter(
    (i) =>
      i.interface_type === 'MOUNT' && (i.mount_function === 'INPUT' || i.mount_function === 'BOTH'),
  )
  const mount = wanted === undefined ? mounts[0] : mounts.find((m) => m.path === wanted)
  if (!mount)
    throw new HttpError(
      400,
      'INVALID_REQUEST',
      wanted === undefined
        ? `service ${service.id} has no INPUT mount to put input files in`
        : `service ${service.id} has no INPUT mount at '${wanted}'`,
      { field: 'input_files' },
    )
  return mount.path
}
