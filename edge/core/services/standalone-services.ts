/**
 * Standalone services: creating them (an executable on a runner's disk, a repository a runner
 * clones and builds, or files uploaded to the orchestrator), running them as native jobs on a
 * runner that fits, and deleting them with what was stored for them.
 */
import type { NativeRun } from '../../../shared/protocol/frames'
import {
  detectExecutableFormat,
  EXECUTABLE_HEAD_BYTES,
  type ServiceRequirements,
} from '../../../shared/protocol/system-capabilities'
import { HttpError } from '../http-error'
import type { JobRecord } from '../jobs/job-record'
import type { NativeJobs, Scheduler } from '../jobs/scheduler'
import type { FileStore } from '../storage/file-store'
import { unfit, type NativeEntry } from './native-queue'
import type { RunnerDirectory } from './runner-directory'
import type { ServiceInterface, ServiceRecord } from './service-record'
import {
  UploadSettings,
  type FromGitBody,
  type FromLocalBody,
  type RunBody,
} from './service-schemas'
import type { NewService, ServiceStore } from './service-store'
import type { UploadGroupDone, UploadSink } from './upload-sessions'

const DEFAULT_TIMEOUT_SECONDS = 600
/** Checking a local executable is quick; cloning and building may take a while. */
const LOCAL_REGISTER_MS = 30_000
const GIT_REGISTER_MS = 15 * 60_000
/** A runner stops a process with SIGTERM, waits 5 s, then uploads its outputs. */
const NATIVE_EXTRA_GRACE_MS = 30_000

/** What a native job keeps privately (its code blob): the run's stdin and input files. */
interface RunInputs {
  stdin?: string
  input_files: NativeRun['input_files']
}

export interface StandaloneServicesDeps {
  store: ServiceStore
  runners: RunnerDirectory
  /** Uploaded services' files, one directory per service name; absent where the host has none. */
  files: FileStore | undefined
  sha256: (text: string) => string | Promise<string>
  nodeId: string
  maxFileBytes: number
}

export class StandaloneServices {
  /** Set by attach(): the scheduler is built after this (it asks nativeJobs while restoring). */
  private scheduler!: Scheduler
  /** Names whose upload is being stored: a second upload of the same name waits its turn by failing. */
  private readonly storing = new Set<string>()

  constructor(private readonly deps: StandaloneServicesDeps) {}

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler
  }

  /** For the scheduler: where a native job may run, and what its frame carries. */
  readonly nativeJobs: NativeJobs = {
    target: (job) => {
      const service = this.serviceOf(job)
      return service && { peerId: service.peer_id, requirements: service.capabilities }
    },
    run: (job, token) => {
      const service = this.serviceOf(job)
      if (!service) return { error: 'its service was deleted' }
      const input = job.input_data as { arguments?: string[] }
      const inputs = JSON.parse(this.scheduler.codeOf(job.code_hash) || '{}') as RunInputs
      return {
        service_id: service.id,
        service_name: service.name,
        source: service.source,
        executable_path: service.executable_path,
        sha256: service.executable_sha256,
        arguments: input.arguments ?? service.arguments,
        working_directory: service.working_directory,
        environment_variables: service.environment_variables,
        inherit_environment: service.inherit_environment,
        run_as_user: service.run_as_user,
        interfaces: service.interfaces.map((i) => ({
          interface_type: i.interface_type,
          path: i.path,
          mount_function: i.mount_function,
        })),
        ...(service.source === 'upload' && { files: service.files }),
        ...(inputs.stdin !== undefined && { stdin: inputs.stdin }),
        input_files: inputs.input_files ?? [],
        job_token: token,
        orchestrator: this.deps.nodeId,
      }
    },
    extraGraceMs: NATIVE_EXTRA_GRACE_MS,
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
    // Credentials written into the URL travel like the separate fields: to the runner, never to disk.
    const { url, username, password } = splitCredentials(body.repo_url)
    const user = body.username ?? username
    const secret = body.password ?? password
    return this.register(
      body,
      {
        source: 'git',
        path: body.executable_path,
        git: {
          repo_url: url,
          ...(body.branch && { branch: body.branch }),
          ...(body.build_command && { build_command: body.build_command }),
          ...(user !== undefined && { username: user }),
          ...(secret !== undefined && { password: secret }),
        },
      },
      GIT_REGISTER_MS,
    )
  }

  /** An upload group finished: its files become a new service (or replace an upload's files). */
  async completeUpload(group: UploadGroupDone, sink: UploadSink): Promise<{ serviceId: number }> {
    const files = this.deps.files
    if (!files) throw new Error('this orchestrator has nowhere to store uploaded files')
    const parsed = UploadSettings.safeParse(group.service ?? {})
    if (!parsed.success)
      throw new Error(`invalid service settings: ${parsed.error.issues[0]?.message}`)
    const settings = parsed.data
    const existing =
      group.serviceId !== undefined && group.serviceId > 0 ? this.get(group.serviceId) : undefined
    if (existing && existing.source !== 'upload')
      throw new Error(`service ${existing.id} was not uploaded; upload to a new service instead`)
    // An uploader writes only the namespaces its token covers: another's executable would run
    // with that namespace's environment, stdin and input files.
    const covers = group.covers ?? (() => true)
    const namespace = settings.namespace ?? existing?.namespace ?? 'default'
    for (const ns of new Set([namespace, ...(existing ? [existing.namespace] : [])]))
      if (!covers(ns)) throw new Error(`this token may not upload services of namespace '${ns}'`)
    const name = existing?.name ?? group.serviceName
    if (!name) throw new Error('a new service needs a service_name')
    if ((!existing && this.deps.store.byName(name)) || this.storing.has(name))
      throw new Error(`a service named '${name}' already exists`)
    // Reserved before the first await: two uploads of one name cannot both pass the check above.
    this.storing.add(name)
    try {
      return await this.storeUpload(group, sink, { name, namespace, settings, existing })
    } finally {
      this.storing.delete(name)
    }
  }

  private async storeUpload(
    group: UploadGroupDone,
    sink: UploadSink,
    {
      name,
      namespace,
      settings,
      existing,
    }: { name: string; namespace: string; settings: UploadSettings; existing?: ServiceRecord },
  ): Promise<{ serviceId: number }> {
    const files = this.deps.files
    if (!files) throw new Error('this orchestrator has nowhere to store uploaded files')
    for (const file of group.files) {
      const written = await files.write(
        name,
        file.filePath,
        await sink.read(file.sessionId),
        this.deps.maxFileBytes,
      )
      if (written.sha256 !== file.sha256)
        throw new Error(`'${file.filePath}' changed while being stored`)
    }
    const entry = group.files.find((f) => f.executable) ?? group.files[0]
    if (!entry) throw new Error('the upload has no files')
    const format = detectExecutableFormat(await this.head(name, entry.filePath))
    const capabilities = withFormat(settings.capabilities ?? existing?.capabilities ?? {}, format)
    const record: NewService = {
      namespace,
      name,
      description: settings.description ?? existing?.description ?? '',
      status: 'ACTIVE',
      source: 'upload',
      peer_id: null,
      executable_path: entry.filePath,
      executable_sha256: entry.sha256,
      executable_size: entry.size,
      arguments: settings.arguments ?? existing?.arguments ?? [],
      working_directory: settings.working_directory ?? existing?.working_directory ?? '',
      environment_variables:
        settings.environment_variables ?? existing?.environment_variables ?? {},
      inherit_environment: settings.inherit_environment ?? existing?.inherit_environment ?? false,
      timeout_seconds:
        settings.timeout_seconds ?? existing?.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
      run_as_user: settings.run_as_user ?? existing?.run_as_user ?? '',
      capabilities,
      interfaces: settings.custom_interfaces
        ? interfacesOf(settings.custom_interfaces)
        : (existing?.interfaces ?? []),
      git_repo_url: '',
      git_branch: '',
      git_commit_hash: '',
      files: group.files.map((f) => ({ path: f.filePath, size: f.size, sha256: f.sha256 })),
    }
    if (existing) this.deps.store.remove(existing.id)
    const created = this.deps.store.insert(record)
    return { serviceId: created.id }
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

  /** Queues a run on a runner that fits; fails at once, naming why, when none could. */
  async run(id: number, body: RunBody): Promise<JobRecord> {
    const service = this.get(id)
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
    const [job] = this.scheduler.submit([
      {
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
    const service = this.get(id)
    const job = jobId ? this.scheduler.get(jobId) : undefined
    const held = jobId ? this.scheduler.jobToken(jobId) : undefined
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

  private async register(
    body: FromLocalBody | FromGitBody,
    what: {
      source: 'local' | 'git'
      path: string
      git?: NonNullable<Parameters<RunnerDirectory['register']>[1]['git']>
    },
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
    if (!found.ok || !found.sha256 || !found.executable_path) {
      this.deps.store.remove(service.id)
      const error = found.error ?? 'the runner could not register the executable'
      // The runner's owner said no: not a mistake in the request, so not a 400.
      if (found.code === 'PATH_NOT_ALLOWED')
        throw new HttpError(403, 'PATH_NOT_ALLOWED', error, { field: 'executable_path' })
      const field = error.startsWith('failed to clone')
        ? 'repo_url'
        : error.startsWith('build failed')
          ? 'build_command'
          : 'executable_path'
      throw new HttpError(
        400,
        what.source === 'git' ? 'GIT_SETUP_FAILED' : 'INVALID_EXECUTABLE',
        error,
        { field },
      )
    }
    const format =
      found.platform && found.architecture
        ? { platform: found.platform, architecture: found.architecture }
        : undefined
    const active = this.deps.store.activate(service.id, {
      executable_path: found.executable_path,
      executable_sha256: found.sha256,
      executable_size: found.size ?? 0,
      capabilities: withFormat(service.capabilities, format),
      git_commit_hash: found.git_commit_hash ?? '',
    })
    return active ?? service
  }

  private checkSomeRunnerFits(service: ServiceRecord): void {
    const entry: NativeEntry = {
      id: '',
      seq: 0,
      runtime: 'native',
      namespace: service.namespace,
      peerId: service.peer_id,
      requirements: service.capabilities,
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
    const reasons = candidates.map((r) => ({ peer: r.peer?.id, why: unfit(entry, r) }))
    if (reasons.some((r) => r.why === undefined)) return
    const message =
      reasons.length === 1
        ? (reasons[0]?.why ?? '')
        : reasons.map((r) => `${r.peer}: ${r.why}`).join('; ')
    throw new HttpError(409, 'NO_COMPATIBLE_RUNNER', `no connected runner can run it: ${message}`, {
      reasons: reasons.map((r) => ({ peer_id: r.peer, reason: r.why })),
    })
  }

  private serviceOf(job: JobRecord): ServiceRecord | undefined {
    const input = job.input_data as { service_id?: unknown } | null
    return typeof input?.service_id === 'number' ? this.deps.store.get(input.service_id) : undefined
  }

  private async head(name: string, path: string): Promise<Uint8Array> {
    const stream = await this.deps.files?.read(name, path, {
      start: 0,
      end: EXECUTABLE_HEAD_BYTES - 1,
    })
    if (!stream) return new Uint8Array()
    return new Uint8Array(await new Response(stream).arrayBuffer())
  }
}

/** The platform and architecture the executable says, where the user left them unset. */
function withFormat(
  requirements: ServiceRequirements,
  format: { platform: string; architecture: string } | undefined,
): ServiceRequirements {
  if (!format) return requirements
  return {
    ...requirements,
    ...(requirements.platform === undefined && { platform: format.platform }),
    ...(requirements.architectures === undefined &&
      format.architecture !== 'any' && { architectures: [format.architecture] }),
  }
}

function interfacesOf(
  custom: {
    interface_type: ServiceInterface['interface_type']
    path?: string
    mount_function?: ServiceInterface['mount_function']
    description?: string
  }[],
): ServiceInterface[] {
  return custom.map((i) => ({
    interface_type: i.interface_type,
    path: i.path ?? '',
    mount_function: i.interface_type === 'MOUNT' ? (i.mount_function ?? null) : null,
    description: i.description ?? '',
  }))
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

/** `https://user:pass@host/repo` → the URL without them, and them apart. */
function splitCredentials(raw: string): { url: string; username?: string; password?: string } {
  if (!/^https?:\/\//.test(raw)) return { url: raw }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { url: raw }
  }
  if (!url.username && !url.password) return { url: raw }
  const username = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  return {
    url: url.toString(),
    ...(username && { username }),
    ...(password && { password }),
  }
}
