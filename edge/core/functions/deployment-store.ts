/**
 * Deployed functions and their versions. Deploying adds a version (the last MAX_VERSIONS are kept)
 * and makes it current; rolling back makes the previous version current.
 */
import type { Runtime } from '../../../shared/protocol/job'
import { dbAccessFrom, type Executor } from '../jobs/executor-policy'
import type { DbAccess } from '../kv/db-access'
import { secretNamesFrom, secretNamesText } from '../secrets/secret-names'
import type { Sql } from '../store/sql'

const MAX_VERSIONS = 20

export interface DeploymentVersion {
  version: number
  runtime: Runtime
  code_hash: string
  wasm_cid: string | null
  timeout_ms: number
  created_at: number
  /** `trusted` (the default): only trusted volunteers answer it (see jobs/executor-policy.ts). */
  executor: Executor
  /** What its `db` calls may reach when an untrusted volunteer answers it. */
  untrusted_db: DbAccess
  /** Names of its namespace's secrets each call is sent (never their values). */
  secrets: string[]
}

export interface Deployment extends DeploymentVersion {
  user: string
  /** Always starts with "/": "/hello", "/api/greet", or "/" for the user's root. */
  path: string
  deployed_at: number
  updated_at: number
}

export interface NewVersion {
  runtime: Runtime
  code: string
  code_hash: string
  wasm_cid: string | null
  timeout_ms: number
  executor: Executor
  untrusted_db: DbAccess
  secrets?: string[]
}

const CURRENT = `SELECT d.user, d.path, d.created_at AS deployed_at, d.updated_at, v.version, v.runtime, v.code_hash, v.wasm_cid, v.timeout_ms, v.created_at, v.executor, v.untrusted_db, v.secrets
  FROM deployments d JOIN deployment_versions v ON v.user = d.user AND v.path = d.path AND v.version = d.version`

/** Rows keep `untrusted_db` and `secrets` as JSON text. */
type Row<T> = Omit<T, 'untrusted_db' | 'secrets'> & {
  untrusted_db: string | null
  secrets: string | null
}

function fromRow<T extends { untrusted_db: DbAccess; secrets: string[] }>(row: Row<T>): T {
  return {
    ...row,
    untrusted_db: dbAccessFrom(row.untrusted_db),
    secrets: secretNamesFrom(row.secrets),
  } as T
}

export class DeploymentStore {
  constructor(private readonly sql: Sql) {}

  deploy(user: string, path: string, next: NewVersion, now = Date.now()): Deployment {
    return this.sql.transaction(() => {
      this.sql.run(
        'INSERT OR IGNORE INTO code_blobs (hash, code) VALUES (?, ?)',
        next.code_hash,
        next.code,
      )
      const latest = this.sql.get<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM deployment_versions WHERE user = ? AND path = ?',
        user,
        path,
      )
      const version = (latest?.v ?? 0) + 1
      this.sql.run(
        'INSERT INTO deployment_versions (user, path, version, runtime, code_hash, wasm_cid, timeout_ms, created_at, executor, untrusted_db, secrets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        user,
        path,
        version,
        next.runtime,
        next.code_hash,
        next.wasm_cid,
        next.timeout_ms,
        now,
        next.executor,
        JSON.stringify(next.untrusted_db),
        secretNamesText(next.secrets),
      )
      this.sql.run(
        `INSERT INTO deployments (user, path, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user, path) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
        user,
        path,
        version,
        now,
        now,
      )
      this.sql.run(
        'DELETE FROM deployment_versions WHERE user = ? AND path = ? AND version <= ?',
        user,
        path,
        version - MAX_VERSIONS,
      )
      return this.get(user, path) as Deployment
    })
  }

  get(user: string, path: string): Deployment | undefined {
    const row = this.sql.get<Row<Deployment>>(
      `${CURRENT} WHERE d.user = ? AND d.path = ?`,
      user,
      path,
    )
    return row && fromRow(row)
  }

  list(user?: string): Deployment[] {
    const rows =
      user === undefined
        ? this.sql.all<Row<Deployment>>(`${CURRENT} ORDER BY d.user, d.path`)
        : this.sql.all<Row<Deployment>>(`${CURRENT} WHERE d.user = ? ORDER BY d.path`, user)
    return rows.map((row) => fromRow<Deployment>(row))
  }

  versions(user: string, path: string): DeploymentVersion[] {
    return this.sql
      .all<Row<DeploymentVersion>>(
        'SELECT version, runtime, code_hash, wasm_cid, timeout_ms, created_at, executor, untrusted_db, secrets FROM deployment_versions WHERE user = ? AND path = ? ORDER BY version DESC',
        user,
        path,
      )
      .map((row) => fromRow<DeploymentVersion>(row))
  }

  /** Makes the version before the current one current; undefined when there is none. */
  rollback(user: string, path: string, now = Date.now()): Deployment | undefined {
    const current = this.get(user, path)
    if (!current) return undefined
    const previous = this.sql.get<{ version: number }>(
      'SELECT MAX(version) AS version FROM deployment_versions WHERE user = ? AND path = ? AND version < ?',
      user,
      path,
      current.version,
    )
    if (!previous?.version) return undefined
    this.sql.run(
      'UPDATE deployments SET version = ?, updated_at = ? WHERE user = ? AND path = ?',
      previous.version,
      now,
      user,
      path,
    )
    return this.get(user, path)
  }

  remove(user: string, path: string): boolean {
    return this.sql.transaction(() => {
      const removed =
        this.sql.run('DELETE FROM deployments WHERE user = ? AND path = ?', user, path) > 0
      this.sql.run('DELETE FROM deployment_versions WHERE user = ? AND path = ?', user, path)
      return removed
    })
  }
}
