/**
 * Standalone services: creating them (an executable on a runner's disk, a repository a runner
 * clones and builds, or files uploaded to the orchestrator: see service-uploads.ts), updating them
 * in place (service-updates.ts), running them as native jobs on a runner that fits
 * (service-runs.ts), and deleting them with what was stored for them. The scheduler reads services through native-service-jobs.ts, so it needs nothing here.
 */
import { checkDeclared, type SecretNamesSource } from '../secrets/secret-service'
import type { z } from 'zod'
import { describeIssues, issueField } from '../../../shared/protocol/schema-errors'
import { badRequest, HttpError } from '../http-error'
import type { JobRecord } from '../jobs/job-record'
import type { FileStore } from '../storage/file-store'
import { DEFAULT_TIMEOUT_SECONDS, interfacesOf } from './service-defaults'
import {
  GIT_REGISTER_MS,
  gitSource,
  LOCAL_REGISTER_MS,
  registered,
  type RegisterWhat,
} from './runner-registration'
import type { RunnerDirectory } from './runner-directory'
import type { ServiceRecord } from './service-record'
import type { OutputSource } from './output-refs'
import { ServiceRuns, type RunOptions, type ServiceJobs } from './service-runs'
import { RunBody, type FromGitBody, type FromLocalBody, type UpdateBody } from './service-schemas'
import type { ServiceStore } from './service-store'
import { ServiceUpdates } from './service-updates'
import { ServiceUploads } from './service-uploads'
import type { UploadGroupDone, UploadSink } from './upload-sessions'
import type { WorkSpec } from '../placement/work'

export interface StandaloneServicesDeps {
  store: ServiceStore
  runners: RunnerDirectory
  /** Runs are jobs: submitted, and read back with their tokens. */
  jobs: ServiceJobs
  /** Uploaded services' files, one directory per service name; absent where the host has none. */
  files: FileStore | undefined
  /** Native jobs' outputs, which runs may take as inputs; absent where the host keeps none. */
  outputs: OutputSource['outputs']
  sha256: (text: string) => string | Promise<string>
  maxFileBytes: number
  /** Whether a peer orchestrator could run this work (a run no runner here fits). */
  elsewhere?: ((work: WorkSpec) => boolean) | undefined
  /** Where runs' declared secrets are checked to exist. */
  secrets?: SecretNamesSource | undefined
}

export class StandaloneServices {
  private readonly uploads: ServiceUploads
  private readonly runs: ServiceRuns
  private readonly updates: ServiceUpdates

  constructor(private readonly deps: StandaloneServicesDeps) {
    this.uploads = new ServiceUploads(deps)
    this.runs = new ServiceRuns({ ...deps, get: (id) => this.get(id) })
    this.updates = new ServiceUpdates(deps)
  }

  /** Replaces a local or git service's executable and settings in place: same id, next version. */
  update(id: number, body: UpdateBody): Promise<ServiceRecord> {
    return this.updates.update(this.get(id), body)
  }

  get(id: number): ServiceRecord {
    const service = this.deps.store.get(id)
    if (!service)
      throw new HttpError(404, 'SERVICE_NOT_FOUND', `no standalone service with id ${id}`)
    return service
  }

  list(namespace?: string): ServiceRecord[] {
    return this.deps.store.list(namespace)
  }

  createFromLocal(body: FromLocalBody): Promise<ServiceRecord> {
    return this.register(body, { source: 'local', path: body.executable_path }, LOCAL_REGISTER_MS)
  }

  createFromGit(body: FromGitBody): Promise<ServiceRecord> {
    return this.register(body, gitSource(body), GIT_REGISTER_MS)
  }

  /** An upload group finished: its files become a new service (or replace an upload's files). */
  completeUpload(group: UploadGroupDone, sink: UploadSink): Promise<{ serviceId: number }> {
    return this.uploads.completeUpload(group, sink)
  }

  /** Deletes a service, its stored files, and asks its runner to forget what it kept. */
  async remove(id: number): Promise<void> {
    const service = this.get(id)
    this.deps.store.remove(id)
    if (service.source === 'upload' && this.deps.files)
      for (const file of service.files)
        await this.deps.files.remove(service.name, file.path).catch(() => {})
    const forget = { type: 'service_forget' as const, service_id: id, service_name: service.name }
    if (service.peer_id) this.deps.runners.find(service.peer_id)?.send(forget)
    else for (const runner of this.deps.runners.runnersFor(service.namespace)) runner.send(forget)
  }

  /**
   * Queues a run on a runner that fits; fails at once, naming why, when none could. `jobId` is a
   * caller-chosen id for the job (a workflow's deterministic one).
   */
  run(id: number, body: RunBody, jobId?: string): Promise<JobRecord> {
    return this.runs.run(this.get(id), body, jobId === undefined ? {} : { jobId })
  }

  /**
   * A run for a caller that holds `namespace` (the workflow engine), without HTTP: the service is
   * named by id or by name and must be of that namespace (else 404), `body` is the public run
   * body (parsed here: 400 naming the field), and `options` say what no API caller may set.
   */
  async runFor(
    namespace: string,
    service: number | string,
    body: z.input<typeof RunBody>,
    options: RunOptions = {},
  ): Promise<JobRecord> {
    const parsed = RunBody.safeParse(body)
    if (!parsed.success)
      throw badRequest(describeIssues(parsed.error, body), issueField(parsed.error))
    return this.runs.run(this.find(namespace, service), parsed.data, options)
  }

  /** A service of `namespace` by id or by name; a service elsewhere is as unknown as none. */
  find(namespace: string, idOrName: number | string): ServiceRecord {
    const service =
      typeof idOrName === 'number'
        ? this.deps.store.get(idOrName)
        : this.deps.store.byName(idOrName)
    if (!service || service.namespace !== namespace)
      throw new HttpError(
        404,
        'SERVICE_NOT_FOUND',
        `no standalone service ${typeof idOrName === 'number' ? `with id ${idOrName}` : `named '${idOrName}'`} in namespace '${namespace}'`,
      )
    return service
  }

  /**
   * Which other jobs' outputs the runner of `jobId`'s current attempt (shown by `token`) may read:
   * those its run takes as inputs; undefined when the token is not that attempt's.
   */
  outputsReadableBy(
    jobId: string,
    token: string | undefined,
  ): { job_id: string; output: string }[] | undefined {
    return this.runs.readableBy(jobId, token)
  }

  /** A runner fetching an uploaded service's file must be running one of its jobs. */
  file(
    id: number,
    path: string,
    jobId: string | undefined,
    token: string | undefined,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.runs.file(id, path, jobId, token)
  }

  private async register(
    body: FromLocalBody | FromGitBody,
    what: RegisterWhat,
    timeoutMs: number,
  ): Promise<ServiceRecord> {
    if (this.deps.store.byName(body.service_name))
      throw new HttpError(
        409,
        'SERVICE_EXISTS',
        `a service named '${body.service_name}' already exists`,
        {
          field: 'service_name',
        },
      )
    checkDeclared(this.deps.secrets, body.namespace ?? 'default', body.secrets)
    const runner = this.deps.runners.choose(body.peer_id, body.namespace ?? 'default')
    const service = this.deps.store.insert({
      namespace: body.namespace ?? 'default',
      name: body.service_name,
      description: body.description ?? '',
      status: 'INACTIVE',
      source: what.source,
      peer_id: runner.peer?.id ?? null,
      executable_path: what.path,
      executable_sha256: '',
      executable_size: 0,
      arguments: body.arguments ?? [],
      working_directory: body.working_directory ?? '',
      environment_variables: body.environment_variables ?? {},
      ...(body.secrets?.length && { secrets: body.secrets }),
      inherit_environment: body.inherit_environment ?? false,
      timeout_seconds: body.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
      run_as_user: body.run_as_user ?? '',
      capabilities: body.capabilities ?? {},
      interfaces: interfacesOf(body.custom_interfaces ?? []),
      git_repo_url: what.git?.repo_url ?? '',
      git_branch: what.git?.branch ?? '',
      git_commit_hash: '',
      files: [],
    })
    const found = await this.deps.runners.register(
      runner,
      {
        service_id: service.id,
        service_name: service.name,
        source: what.source,
        executable_path: what.path,
        ...(what.git && { git: what.git }),
      },
      timeoutMs,
    )
    const executable = registered(found, what.source, service.capabilities)
    if (executable instanceof HttpError) {
      this.deps.store.remove(service.id)
      throw executable
    }
    const active = this.deps.store.activate(service.id, executable)
    return active ?? service
  }
}
