/**
 * Services made of uploaded files: a finished upload group (see upload-sessions.ts) becomes a new
 * service, or replaces an uploaded one's files; the executable's format fills in the platform and
 * architecture its runs need.
 */
import {
  detectExecutableFormat,
  EXECUTABLE_HEAD_BYTES,
} from '../../../shared/protocol/system-capabilities'
import { HttpError } from '../http-error'
import type { FileStore } from '../storage/file-store'
import { DEFAULT_TIMEOUT_SECONDS, interfacesOf, withFormat } from './service-defaults'
import type { ServiceRecord } from './service-record'
import { UploadSettings } from './service-schemas'
import type { NewService, ServiceStore } from './service-store'
import type { UploadGroupDone, UploadSink } from './upload-sessions'

export interface ServiceUploadsDeps {
  store: ServiceStore
  /** Uploaded services' files, one directory per service name; absent where the host has none. */
  files: FileStore | undefined
  maxFileBytes: number
}

export class ServiceUploads {
  /** Names whose upload is being stored: a second upload of the same name waits its turn by failing. */
  private readonly storing = new Set<string>()

  constructor(private readonly deps: ServiceUploadsDeps) {}

  /** An upload group finished: its files become a new service (or replace an upload's files). */
  async completeUpload(group: UploadGroupDone, sink: UploadSink): Promise<{ serviceId: number }> {
    const files = this.deps.files
    if (!files) throw new Error('this orchestrator has nowhere to store uploaded files')
    const parsed = UploadSettings.safeParse(group.service ?? {})
    if (!parsed.success)
      throw new Error(`invalid service settings: ${parsed.error.issues[0]?.message}`)
    const settings = parsed.data
    const existing =
      group.serviceId !== undefined && group.serviceId > 0
        ? this.existing(group.serviceId)
        : undefined
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
      secrets: settings.secrets ?? existing?.secrets ?? [],
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
    // An upload naming a service updates it in place: same id and runs, the next version.
    if (existing) {
      const updated = this.deps.store.update(existing.id, record)
      if (!updated)
        throw new Error(`service ${existing.id} was deleted while its files were stored`)
      return { serviceId: updated.id }
    }
    const created = this.deps.store.insert(record)
    return { serviceId: created.id }
  }

  private async head(name: string, path: string): Promise<Uint8Array> {
    const stream = await this.deps.files?.read(name, path, {
      start: 0,
      end: EXECUTABLE_HEAD_BYTES - 1,
    })
    if (!stream) return new Uint8Array()
    return new Uint8Array(await new Response(stream).arrayBuffer())
  }

  /** The service an upload replaces: it must exist. */
  private existing(id: number): ServiceRecord {
    const service = this.deps.store.get(id)
    if (!service)
      throw new HttpError(404, 'SERVICE_NOT_FOUND', `no standalone service with id ${id}`)
    return service
  }
}
