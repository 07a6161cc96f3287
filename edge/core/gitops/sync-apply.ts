/**
 * Applies a checked desired state: functions deployed as new versions (so their version list and
 * rollback keep working), static files copied into the namespace's storage, workflows created or
 * given a new version, crons put; with prune, what the manifest dropped is removed.
 */
import type { Resource } from './application-store'
import type { DesiredState } from './desired-state'
import type { GitopsDeps } from './gitops-deps'
import { liveWorkflow, type Change } from './sync-changes'
import type { RepoSnapshot } from './repo-reader'
import { MAX_STATIC_FILE_BYTES } from './desired-state'

const key = (r: { kind: string; name: string }) => `${r.kind}\u0000${r.name}`
const ownedKey = (r: Resource) => `${r.namespace}\u0000${r.kind}\u0000${r.name}`

/** Applies `changes` and returns what the application now owns (kept orphans included). */
export async function applyChanges(
  deps: GitopsDeps,
  desired: DesiredState,
  changes: readonly Change[],
  snapshot: RepoSnapshot,
  recorded: readonly Resource[],
): Promise<Resource[]> {
  const ns = desired.namespace
  const todo = new Map(changes.map((c) => [key(c), c]))
  const owned = new Map(recorded.map((r) => [ownedKey(r), r]))
  const mine = (kind: string, name: string) => owned.get(`${ns}\u0000${kind}\u0000${name}`)
  const now: Resource[] = []

  for (const fn of desired.functions) {
    if (todo.has(key({ kind: 'function', name: fn.path })))
      await deps.functions.deploy(ns, fn.path, fn.request)
    now.push({ kind: 'function', name: fn.path, fingerprint: fn.code_hash, namespace: ns })
  }
  for (const file of desired.files) {
    if (todo.has(key({ kind: 'static', name: file.path }))) {
      const bytes = await snapshot.read(file.source, MAX_STATIC_FILE_BYTES)
      if (!bytes) throw new Error(`${file.source} disappeared from the commit while syncing`)
      await deps.storage?.put(ns, file.path, new Blob([bytes]).stream(), bytes.byteLength)
    }
    now.push({ kind: 'static', name: file.path, fingerprint: file.sha256, namespace: ns })
  }
  for (const wf of desired.workflows) {
    const before = mine('workflow', wf.name)
    let id = before?.id !== undefined && liveWorkflow(deps, before.id) ? before.id : undefined
    if (todo.has(key({ kind: 'workflow', name: wf.name }))) {
      // One of the same name made by hand is adopted rather than doubled.
      id ??= deps.workflows.list(ns, 1000, 0).workflows.find((w) => w.name === wf.name)?.id
      id = id
        ? deps.workflows.update(id, { ...wf.doc, namespace: ns }).id
        : deps.workflows.create(ns, wf.doc).id
    }
    const version = id === undefined ? undefined : liveWorkflow(deps, id)?.version
    now.push({
      kind: 'workflow',
      name: wf.name,
      fingerprint: wf.fingerprint,
      namespace: ns,
      ...(id !== undefined && { id }),
      ...(version !== undefined && { version }),
    })
  }
  const workflowIds = new Map(now.filter((r) => r.kind === 'workflow').map((r) => [r.name, r.id]))
  for (const cron of desired.crons) {
    const id = cron.workflow === undefined ? undefined : workflowIds.get(cron.workflow)
    const body =
      id !== undefined && 'workflow' in cron.body.target
        ? { ...cron.body, target: { ...cron.body.target, workflow: id } }
        : cron.body
    if (todo.has(key({ kind: 'cron', name: cron.name }))) deps.crons?.put(ns, cron.name, body)
    now.push({ kind: 'cron', name: cron.name, fingerprint: cron.fingerprint, namespace: ns })
  }

  for (const change of changes) {
    if (change.action !== 'delete' && change.action !== 'orphaned') continue
    const r = owned.get(`${change.namespace}\u0000${change.kind}\u0000${change.name}`)
    if (!r) continue
    if (change.action === 'orphaned') now.push(r)
    if (change.action !== 'delete') continue
    await remove(deps, r)
  }
  return now
}

/** Removes one resource the application deployed; one already gone is not an error. */
export async function remove(deps: GitopsDeps, r: Resource): Promise<void> {
  const ns = r.namespace
  switch (r.kind) {
    case 'function':
      if (deps.functions.store.get(ns, r.name)) deps.functions.remove(ns, r.name)
      return
    case 'static':
      await deps.storage?.remove(ns, r.name)
      return
    case 'workflow':
      if (r.id !== undefined && liveWorkflow(deps, r.id)) deps.workflows.remove(r.id)
      return
    case 'cron':
      deps.crons?.remove(ns, r.name)
      return
  }
}
