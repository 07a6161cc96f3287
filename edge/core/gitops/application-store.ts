/**
 * GitOps applications in SQL: where each one's repository is, how it syncs, its sealed
 * credentials, and what its last sync found and deployed (so prune removes only its own).
 */
import type { Sql } from '../store/sql'
import type { RepoSource } from './repo-reader'

export type Phase = 'Synced' | 'OutOfSync' | 'Failed'
export type ResourceKind = 'function' | 'static' | 'workflow' | 'cron'

/** Something a sync deployed; `fingerprint` is what the manifest asked for, to notice change. */
export interface Resource {
  kind: ResourceKind
  /** The function's path, the file's path, the workflow's or the cron's name. */
  name: string
  fingerprint: string
  /** Where it is (the manifest may move the application to another namespace). */
  namespace: string
  /** A workflow's id, and the version the sync left it at (another version is drift). */
  id?: string
  version?: number
}

/** Why the last sync failed: a sentence, and where in the repository when it is a file's fault. */
export interface SyncError {
  message: string
  file?: string
  field?: string
  line?: number
}

interface SyncPolicy {
  intervalSeconds: number
  prune: boolean
  selfHeal: boolean
}

export interface Application {
  namespace: string
  name: string
  source: RepoSource
  syncPolicy: SyncPolicy
  /** `{token}` or `{username, password}` as JSON, sealed; null without. */
  sealedAuth: string | null
  sealedWebhookSecret: string | null
  /** file:// and local paths may be fetched (registered by the operator). */
  allowLocal: boolean
  /** Where it deploys: the manifest's namespace once a caller with rights on it accepted it. */
  target: string
  /** A pinned commit (a rollback); polls leave it until a sync without `revision`. */
  revision: string | null
  commit: string | null
  phase: Phase
  error: SyncError | null
  lastSync: number | null
  lastPoll: number
  resources: Resource[]
  createdAt: number
}

interface Row {
  namespace: string
  name: string
  repo_url: string
  branch: string
  subdir: string
  interval_seconds: number
  prune: number
  self_heal: number
  sealed_auth: string | null
  sealed_webhook_secret: string | null
  allow_local: number
  target: string
  revision: string | null
  commit_sha: string | null
  phase: Phase
  error: string | null
  last_sync: number | null
  last_poll: number
  resources: string
  created_at: number
}

function fromRow(row: Row): Application {
  return {
    namespace: row.namespace,
    name: row.name,
    source: { repoURL: row.repo_url, branch: row.branch, subdir: row.subdir },
    syncPolicy: {
      intervalSeconds: row.interval_seconds,
      prune: row.prune === 1,
      selfHeal: row.self_heal === 1,
    },
    sealedAuth: row.sealed_auth,
    sealedWebhookSecret: row.sealed_webhook_secret,
    allowLocal: row.allow_local === 1,
    target: row.target,
    revision: row.revision,
    commit: row.commit_sha,
    phase: row.phase,
    error: row.error === null ? null : (JSON.parse(row.error) as SyncError),
    lastSync: row.last_sync,
    lastPoll: row.last_poll,
    resources: JSON.parse(row.resources) as Resource[],
    createdAt: row.created_at,
  }
}

export class ApplicationStore {
  constructor(private readonly sql: Sql) {}

  /** Registers it, replacing one of the same name in the namespace. */
  put(app: Application): void {
    this.sql.run(
      `INSERT OR REPLACE INTO gitops_applications (namespace, name, repo_url, branch, subdir,
         interval_seconds, prune, self_heal, sealed_auth, sealed_webhook_secret, allow_local,
         target, revision, commit_sha, phase, error, last_sync, last_poll, resources, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      app.namespace,
      app.name,
      app.source.repoURL,
      app.source.branch,
      app.source.subdir,
      app.syncPolicy.intervalSeconds,
      app.syncPolicy.prune ? 1 : 0,
      app.syncPolicy.selfHeal ? 1 : 0,
      app.sealedAuth,
      app.sealedWebhookSecret,
      app.allowLocal ? 1 : 0,
      app.target,
      app.revision,
      app.commit,
      app.phase,
      app.error && JSON.stringify(app.error),
      app.lastSync,
      app.lastPoll,
      JSON.stringify(app.resources),
      app.createdAt,
    )
  }

  get(namespace: string, name: string): Application | undefined {
    const row = this.sql.get<Row>(
      'SELECT * FROM gitops_applications WHERE namespace = ? AND name = ?',
      namespace,
      name,
    )
    return row && fromRow(row)
  }

  list(namespace?: string): Application[] {
    const rows =
      namespace === undefined
        ? this.sql.all<Row>('SELECT * FROM gitops_applications ORDER BY namespace, name')
        : this.sql.all<Row>(
            'SELECT * FROM gitops_applications WHERE namespace = ? ORDER BY name',
            namespace,
          )
    return rows.map(fromRow)
  }

  remove(namespace: string, name: string): boolean {
    return (
      this.sql.run(
        'DELETE FROM gitops_applications WHERE namespace = ? AND name = ?',
        namespace,
        name,
      ) > 0
    )
  }
}
