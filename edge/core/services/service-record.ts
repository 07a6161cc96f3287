/**
 * A standalone service as stored, and as the API shows it (the seed's shapes: `service` with
 * `service_type: "STANDALONE"`, and `details` whose `arguments` and `environment_variables` are
 * JSON strings).
 */
import type { ServiceRequirements } from '../../../shared/protocol/system-capabilities'

type ServiceSource = 'local' | 'upload' | 'git'
type InterfaceType = 'STDIN' | 'STDOUT' | 'STDERR' | 'LOGS' | 'MOUNT'
type MountFunction = 'INPUT' | 'OUTPUT' | 'BOTH'

export interface ServiceInterface {
  interface_type: InterfaceType
  path: string
  mount_function: MountFunction | null
  description: string
}

interface ServiceFile {
  path: string
  size: number
  sha256: string
}

export interface ServiceRecord {
  id: number
  namespace: string
  name: string
  description: string
  status: 'ACTIVE' | 'INACTIVE'
  source: ServiceSource
  /** The runner holding the executable (local and git services); null for uploads. */
  peer_id: string | null
  /** Absolute on the runner (local, git), or the entry point's path among the files (upload). */
  executable_path: string
  executable_sha256: string
  executable_size: number
  arguments: string[]
  working_directory: string
  environment_variables: Record<string, string>
  /** Names of the namespace's secrets every run gets as environment variables (absent: none). */
  secrets?: string[]
  inherit_environment: boolean
  timeout_seconds: number
  run_as_user: string
  /** What a runner must offer; platform and architecture are filled in from the executable. */
  capabilities: ServiceRequirements
  interfaces: ServiceInterface[]
  git_repo_url: string
  git_branch: string
  git_commit_hash: string
  /** Uploaded services: every file of the upload, stored by the orchestrator. */
  files: ServiceFile[]
  /** 1 when created; each update in place (PUT, or an upload naming the service) adds one. */
  version: number
  created_at: number
  updated_at: number
}

/** Offered with every new service: the streams every process has. Not stored. */
export const SUGGESTED_INTERFACES = [
  { interface_type: 'STDIN', description: 'Standard input stream for the process' },
  { interface_type: 'STDOUT', description: 'Standard output stream from the process' },
  { interface_type: 'STDERR', description: 'Standard error stream from the process' },
  { interface_type: 'LOGS', description: 'Combined logs from the process execution' },
].map((i) => ({ ...i, path: '', mount_function: '' }))

const iso = (ms: number) => new Date(ms).toISOString()

export function toServiceView(service: ServiceRecord) {
  return {
    id: service.id,
    service_type: 'STANDALONE' as const,
    type: 'standalone' as const,
    name: service.name,
    description: service.description,
    namespace: service.namespace,
    status: service.status,
    version: service.version,
    peer_id: service.peer_id,
    capabilities: {
      ...service.capabilities,
      executable_hash: service.executable_sha256,
      source: service.source,
    },
    interfaces: service.interfaces.map((i, index) => ({
      id: index + 1,
      service_id: service.id,
      ...i,
      created_at: iso(service.created_at),
    })),
    created_at: iso(service.created_at),
    updated_at: iso(service.updated_at),
  }
}

export function toDetailsView(service: ServiceRecord) {
  return {
    id: service.id,
    service_id: service.id,
    version: service.version,
    executable_path: service.executable_path,
    arguments: JSON.stringify(service.arguments),
    working_directory: service.working_directory,
    environment_variables: JSON.stringify(service.environment_variables),
    ...(service.secrets?.length && { secrets: service.secrets }),
    timeout_seconds: service.timeout_seconds,
    run_as_user: service.run_as_user,
    source: service.source,
    git_repo_url: service.git_repo_url,
    git_commit_hash: service.git_commit_hash,
    upload_hash: service.source === 'upload' ? service.executable_sha256 : '',
    executable_hash: service.executable_sha256,
    files: service.files,
  }
}
