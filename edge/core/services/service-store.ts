/** Standalone services in SQL: one row each, lists and objects as JSON columns. */
import { secretNamesFrom, secretNamesText } from '../secrets/secret-names'
import type { Sql } from '../store/sql'
import type { ServiceRecord } from './service-record'

interface Row {
  id: number
  namespace: string
  name: string
  description: string
  status: string
  source: string
  peer_id: string | null
  executable_path: string
  executable_sha256: string
  executable_size: number
  arguments: string
  working_directory: string
  environment_variables: string
  secrets: string | null
  inherit_environment: number
  timeout_seconds: number
  run_as_user: string
  capabilities: string
  interfaces: string
  git_repo_url: string
  git_branch: string
  git_commit_hash: string
  files: string
  version: number
  created_at: number
  updated_at: number
}

export type NewService = Omit<ServiceRecord, 'id' | 'version' | 'created_at' | 'updated_at'>

export class ServiceStore {
  constructor(private readonly sql: Sql) {}

  insert(service: NewService, now = Date.now()): ServiceRecord {
    const row = this.sql.get<{ id: number }>(
      `INSERT INTO services (namespace, name, description, status, source, peer_id, executable_path,
         executable_sha256, executable_size, arguments, working_directory, environment_variables,
         inherit_environment, timeout_seconds, run_as_user, capabilities, interfaces, git_repo_url,
         git_branch, git_commit_hash, files, created_at, updated_at, secrets)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      service.namespace,
      service.name,
      ...settingValues(service),
      now,
      now,
      secretNamesText(service.secrets),
    )
    return { ...service, id: row?.id ?? 0, version: 1, created_at: now, updated_at: now }
  }

  /**
   * Replaces a service's settings and executable in place, keeping its id, name, namespace and
   * creation time, and adds one to its version. Undefined when the service is gone.
   */
  update(id: number, service: NewService, now = Date.now()): ServiceRecord | undefined {
    this.sql.run(
      `UPDATE services SET description = ?, status = ?, source = ?, peer_id = ?,
         executable_path = ?, executable_sha256 = ?, executable_size = ?, arguments = ?,
         working_directory = ?, environment_variables = ?, inherit_environment = ?,
         timeout_seconds = ?, run_as_user = ?, capabilities = ?, interfaces = ?, git_repo_url = ?,
         git_branch = ?, git_commit_hash = ?, files = ?, secrets = ?, version = version + 1,
         updated_at = ? WHERE id = ?`,
      ...settingValues(service),
      secretNamesText(service.secrets),
      now,
      id,
    )
    return this.get(id)
  }

  /** Marks a service inactive: what its runner held is gone (a failed rebuild). */
  deactivate(id: number, now = Date.now()): void {
    this.sql.run(`UPDATE services SET status = 'INACTIVE', updated_at = ? WHERE id = ?`, now, id)
  }

  /** Replaces what registration found out about the executable, and activates the service. */
  activate(
    id: number,
    found: Pick<
      ServiceRecord,
      | 'executable_path'
      | 'executable_sha256'
      | 'executable_size'
      | 'capabilities'
      | 'git_commit_hash'
    >,
    now = Date.now(),
  ): ServiceRecord | undefined {
    this.sql.run(
      `UPDATE services SET status = 'ACTIVE', executable_path = ?, executable_sha256 = ?,
         executable_size = ?, capabilities = ?, git_commit_hash = ?, updated_at = ? WHERE id = ?`,
      found.executable_path,
      found.executable_sha256,
      found.executable_size,
      JSON.stringify(found.capabilities),
      found.git_commit_hash,
      now,
      id,
    )
    return this.get(id)
  }

  get(id: number): ServiceRecord | undefined {
    const row = this.sql.get<Row>('SELECT * FROM services WHERE id = ?', id)
    return row && fromRow(row)
  }

  byName(name: string): ServiceRecord | undefined {
    const row = this.sql.get<Row>('SELECT * FROM services WHERE name = ?', name)
    return row && fromRow(row)
  }

  list(namespace?: string): ServiceRecord[] {
    const rows =
      namespace === undefined
        ? this.sql.all<Row>('SELECT * FROM services ORDER BY id')
        : this.sql.all<Row>('SELECT * FROM services WHERE namespace = ? ORDER BY id', namespace)
    return rows.map(fromRow)
  }

  remove(id: number): boolean {
    return this.sql.run('DELETE FROM services WHERE id = ?', id) > 0
  }
}

function fromRow(row: Row): ServiceRecord {
  return {
    ...row,
    status: row.status === 'ACTIVE' ? 'ACTIVE' : 'INACTIVE',
    source: row.source as ServiceRecord['source'],
    arguments: JSON.parse(row.arguments) as string[],
    environment_variables: JSON.parse(row.environment_variables) as Record<string, string>,
    secrets: secretNamesFrom(row.secrets),
    inherit_environment: row.inherit_environment === 1,
    capabilities: JSON.parse(row.capabilities) as ServiceRecord['capabilities'],
    interfaces: JSON.parse(row.interfaces) as ServiceRecord['interfaces'],
    files: JSON.parse(row.files) as ServiceRecord['files'],
  }
}

/** A service's settings as the columns from `description` to `files` take them, in that order. */
function settingValues(service: NewService): (string | number | null)[] {
  return [
    service.description,
    service.status,
    service.source,
    service.peer_id,
    service.executable_path,
    service.executable_sha256,
    service.executable_size,
    JSON.stringify(service.arguments),
    service.working_directory,
    JSON.stringify(service.environment_variables),
    service.inherit_environment ? 1 : 0,
    service.timeout_seconds,
    service.run_as_user,
    JSON.stringify(service.capabilities),
    JSON.stringify(service.interfaces),
    service.git_repo_url,
    service.git_branch,
    service.git_commit_hash,
    JSON.stringify(service.files),
  ]
}
