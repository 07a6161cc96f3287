/**
 * What a sync would change: each resource the commit asks for that is missing or differs from
 * what is deployed (including changes made behind GitOps' back, which self-heal undoes), and
 * each the application deployed before that the commit no longer has.
 */
import type { Resource, ResourceKind } from './application-store'
import type { DesiredState } from './desired-state'
import type { GitopsDeps } from './gitops-deps'

/** `orphaned`: no longer in the manifest, and kept because the application does not prune. */
type Action = 'create' | 'update' | 'delete' | 'orphaned'

export interface Change {
  kind: ResourceKind
  name: string
  action: Action
  namespace: string
}

const key = (ns: string, kind: ResourceKind, name: string) => `${ns}\u0000${kind}\u0000${name}`

/** The changes from what is deployed to `desired`; unchanged resources are not listed. */
export function changesFor(
  deps: GitopsDeps,
  desired: DesiredState,
  recorded: readonly Resource[],
  prune: boolean,
): Change[] {
  const ns = desired.namespace
  const mine = new Map(recorded.map((r) => [key(r.namespace, r.kind, r.name), r]))
  const changes: Change[] = []
  const wanted = new Set<string>()
  const change = (kind: ResourceKind, name: string, action: 'create' | 'update' | undefined) => {
    wanted.add(key(ns, kind, name))
    if (action) changes.push({ kind, name, action, namespace: ns })
  }

  for (const fn of desired.functions) {
    const live = deps.functions.store.get(ns, fn.path)
    const r = fn.request
    const same =
      live &&
      live.runtime === r.runtime &&
      live.code_hash === fn.code_hash &&
      live.wasm_cid === null &&
      live.timeout_ms === r.timeout_ms &&
      live.executor === r.executor &&
      JSON.stringify(live.untrusted_db) === JSON.stringify(r.untrusted_db) &&
      JSON.stringify(live.secrets) === JSON.stringify(r.secrets ?? [])
    change('function', fn.path, !live ? 'create' : same ? undefined : 'update')
  }
  for (const file of desired.files) {
    const live = deps.storage?.info(ns, file.path)
    change('static', file.path, !live ? 'create' : live.etag === file.sha256 ? undefined : 'update')
  }
  for (const wf of desired.workflows) {
    const r = mine.get(key(ns, 'workflow', wf.name))
    const live = r?.id === undefined ? undefined : liveWorkflow(deps, r.id)
    const same = live && live.version === r?.version && r.fingerprint === wf.fingerprint
    change('workflow', wf.name, !live ? 'create' : same ? undefined : 'update')
  }
  // A cron whose workflow is created now is put again: it names the workflow by its new id.
  const recreated = new Set(
    changes.filter((c) => c.kind === 'workflow' && c.action === 'create').map((c) => c.name),
  )
  for (const cron of desired.crons) {
    const r = mine.get(key(ns, 'cron', cron.name))
    if (r && cron.workflow !== undefined && recreated.has(cron.workflow)) {
      change('cron', cron.name, 'update')
      continue
    }
    change(
      'cron',
      cron.name,
      !r ? 'create' : r.fingerprint === cron.fingerprint ? undefined : 'update',
    )
  }
  for (const r of recorded)
    if (!wanted.has(key(r.namespace, r.kind, r.name)))
      changes.push({
        kind: r.kind,
        name: r.name,
        action: prune ? 'delete' : 'orphaned',
        namespace: r.namespace,
      })
  return changes
}

/** The workflow with this id, if it is still there. */
export function liveWorkflow(deps: GitopsDeps, id: string) {
  try {
    return deps.workflows.get(id)
  } catch {
    return undefined
  }
}
