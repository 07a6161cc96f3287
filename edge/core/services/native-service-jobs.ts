/**
 * Native jobs as the scheduler needs them (its `NativeJobs`): the runner a service's run must go to
 * and what its machine must offer, and the frame's `native` part of each attempt, all read from the
 * stored service, so nothing here needs the scheduler.
 */
import type { InputRef, NativeRun, OutputRef } from '../../../shared/protocol/frames'
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { JobRecord } from '../jobs/job-record'
import type { NativeJobs } from '../jobs/scheduler-types'
import type { NativeNeeds } from '../placement/work'
import type { ServiceRecord } from './service-record'
import type { ServiceStore } from './service-store'

/** A runner stops a process with SIGTERM, waits 5 s, then uploads its outputs. */
const NATIVE_EXTRA_GRACE_MS = 30_000

/**
 * What a native job keeps privately (its code blob): the run's stdin and input files, and the
 * earlier jobs' outputs it takes as files and stdin (each as it was when the run was submitted).
 */
export interface RunInputs {
  stdin?: string
  input_files: NativeRun['input_files']
  input_refs?: InputRef[]
  stdin_ref?: OutputRef
}

/** What a run's job shows of itself (`input_data`), beyond the service it runs. */
interface RunData {
  arguments?: string[]
  /** The service's capabilities with the run's own `requirements` merged over them. */
  requirements?: ServiceRequirements
  workflow_run?: string
  /** The service's version when the run was submitted (absent: runs from before versions). */
  service_version?: number
}

export class NativeServiceJobs implements NativeJobs {
  readonly extraGraceMs = NATIVE_EXTRA_GRACE_MS

  constructor(
    private readonly store: ServiceStore,
    /** Who runners are working for (the orchestrator's node id). */
    private readonly nodeId: string,
    /** A job's code blob (a run's private inputs) by its hash. */
    private readonly codeOf: (hash: string) => string,
  ) {}

  target(job: JobRecord): NativeNeeds | undefined {
    const service = this.serviceOf(job)
    const input = job.input_data as RunData | null
    if (!service) return undefined
    return {
      peerId: service.peer_id,
      requirements: input?.requirements ?? service.capabilities,
      portable: service.source === 'upload' && this.inline(job),
    }
  }

  /** Whether a run's inputs are all in the run (none is an earlier job's output). */
  private inline(job: JobRecord): boolean {
    const inputs = JSON.parse(this.codeOf(job.code_hash) || '{}') as RunInputs
    return !inputs.input_refs?.length && !inputs.stdin_ref
  }

  run(job: JobRecord, token: string, code: string): NativeRun | { error: string } {
    const service = this.serviceOf(job)
    if (!service) return { error: 'its service was deleted' }
    const input = job.input_data as RunData
    // Only the current version's executable exists: a run queued for an older one cannot run it.
    if (input.service_version !== undefined && input.service_version !== service.version)
      return {
        error: `service ${service.id} was updated to version ${service.version} after this run was queued for version ${input.service_version}; run it again`,
      }
    const inputs = JSON.parse(code || '{}') as RunInputs
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
      ...(inputs.input_refs && { input_refs: inputs.input_refs }),
      ...(inputs.stdin_ref && { stdin_ref: inputs.stdin_ref }),
      ...(input.workflow_run !== undefined && { workflow_run: input.workflow_run }),
      job_token: token,
      orchestrator: this.nodeId,
    }
  }

  private serviceOf(job: JobRecord): ServiceRecord | undefined {
    const input = job.input_data as { service_id?: unknown } | null
    return typeof input?.service_id === 'number' ? this.store.get(input.service_id) : undefined
  }
}
