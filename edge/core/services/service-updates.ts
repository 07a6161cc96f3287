/**
 * Updating a runner-registered (local or git) service in place: the runner registers the new
 * executable under the same id, and the record keeps its id, name, namespace and runs while its
 * version goes up by one. Settings the body leaves out keep their values, as an upload naming a
 * service does (service-uploads.ts). Uploaded services are updated by uploading again, which
 * the upload protocol already serialises per service name.
 */
import { checkDeclared, type SecretNamesSource } from '../secrets/secret-service'
import { HttpError } from '../http-error'
import { interfacesOf } from './service-defaults'
import type { RunnerDirectory } from './runner-directory'
import {
  GIT_REGISTER_MS,
  gitSource,
  LOCAL_REGISTER_MS,
  registered,
  type RegisterWhat,
} from './runner-registration'
import type { ServiceRecord } from './service-record'
import type { UpdateBody } from './service-schemas'
import type { ServiceStore } from './service-store'

export interface ServiceUpdatesDeps {
  store: ServiceStore
  runners: RunnerDirectory
  secrets?: SecretNamesSource | undefined
}

export class ServiceUpdates {
  /** Ids being updated: a second update of one waits its turn by failing. */
  private readonly updating = new Set<number>()

  constructor(private readonly deps: ServiceUpdatesDeps) {}

  /** Registers the body's executable for `service` and stores it as the next version. */
  async update(service: ServiceRecord, body: UpdateBody): Promise<ServiceRecord> {
    this.check(service, body)
    this.updating.add(service.id)
    try {
      return await this.apply(service, body)
    } finally {
      this.updating.delete(service.id)
    }
  }

  /** Everything that refuses an update before the runner is asked anything. */
  private check(service: ServiceRecord, body: UpdateBody): void {
    if (body.service_name !== undefined && body.service_name !== service.name)
      throw new HttpError(
        400,
        'INVALID_REQUEST',
        `service_name: a service keeps its name ('${service.name}'); create a new service for '${body.service_name}'`,
        { field: 'service_name' },
      )
    if (body.namespace !== undefined && body.namespace !== service.namespace)
      throw new HttpError(
        400,
        'INVALID_REQUEST',
        `namespace: a service keeps its namespace ('${service.namespace}'); create a new service in '${body.namespace}'`,
        { field: 'namespace' },
      )
    if (service.source === 'upload')
      throw new HttpError(
        409,
        'SERVICE_IS_UPLOADED',
        `service ${service.id} was uploaded: update it by uploading its files again over /ws/upload with service_id ${service.id}`,
      )
    // Uploaded services are refused above, so no upload can land over this update.
    if (this.updating.has(service.id))
      throw new HttpError(
        409,
        'UPDATE_IN_PROGRESS',
        `service ${service.id} is being updated already; try again when that update has finished`,
        { headers: { 'retry-after': '5' } },
      )
    checkDeclared(this.deps.secrets, service.namespace, body.secrets)
  }

  private async apply(service: ServiceRecord, body: UpdateBody): Promise<ServiceRecord> {
    const what: RegisterWhat =
      body.source === 'git' ? gitSource(body) : { source: 'local', path: body.executable_path }
    const runner = this.deps.runners.choose(this.peerFor(service, body), service.namespace)
    const found = await this.deps.runners.register(
      runner,
      {
        service_id: service.id,
        service_name: service.name,
        source: what.source,
        executable_path: what.path,
        ...(what.git && { git: what.git }),
      },
      what.source === 'git' ? GIT_REGISTER_MS : LOCAL_REGISTER_MS,
    )
    const given = body.capabilities
    // Platform and architecture came from the old executable unless the caller set them: the
    // new one's header says them again (kept when the runner cannot tell).
    const { platform: _platform, architectures: _architectures, ...kept } = service.capabilities
    const headerFormat = found.platform !== undefined && found.architecture !== undefined
    const capabilities = given ?? (headerFormat ? kept : service.capabilities)
    const executable = registered(found, what.source, capabilities)
    if (executable instanceof HttpError) {
      // A failed rebuild has replaced the runner's checkout: the old version is gone with it.
      if (service.source === 'git' && runner.peer?.id === service.peer_id)
        this.deps.store.deactivate(service.id)
      throw executable
    }
    const peerId = runner.peer?.id ?? null
    if (service.peer_id && service.peer_id !== peerId)
      this.deps.runners.find(service.peer_id)?.send({
        type: 'service_forget',
        service_id: service.id,
        service_name: service.name,
      })
    const updated = this.deps.store.update(service.id, {
      namespace: service.namespace,
      name: service.name,
      description: body.description ?? service.description,
      status: 'ACTIVE',
      source: what.source,
      peer_id: peerId,
      ...executable,
      arguments: body.arguments ?? service.arguments,
      working_directory: body.working_directory ?? service.working_directory,
      environment_variables: body.environment_variables ?? service.environment_variables,
      secrets: body.secrets ?? service.secrets ?? [],
      inherit_environment: body.inherit_environment ?? service.inherit_environment,
      timeout_seconds: body.timeout_seconds ?? service.timeout_seconds,
      run_as_user: body.run_as_user ?? service.run_as_user,
      interfaces: body.custom_interfaces
        ? interfacesOf(body.custom_interfaces)
        : service.interfaces,
      git_repo_url: what.git?.repo_url ?? '',
      git_branch: what.git?.branch ?? '',
      files: [],
    })
    if (!updated)
      throw new HttpError(404, 'SERVICE_NOT_FOUND', `service ${service.id} was deleted meanwhile`)
    return updated
  }

  /** The runner named in the body, else the one holding the old version while it is connected. */
  private peerFor(service: ServiceRecord, body: UpdateBody): string | undefined {
    if (body.peer_id !== undefined) return body.peer_id
    if (service.peer_id && this.deps.runners.find(service.peer_id)) return service.peer_id
    return undefined
  }
}
