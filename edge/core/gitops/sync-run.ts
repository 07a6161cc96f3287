/**
 * One sync of one application: fetch the commit, read and check all it asks for, compare with
 * what is deployed, and (unless a dry run, or a poll that only looks) apply it. The outcome is
 * recorded on the application; the caller serialises syncs (gitops-service.ts).
 */
import { HttpError } from '../http-error'
import type { Application, Phase, SyncError } from './application-store'
import { desiredState } from './desired-state'
import type { GitopsDeps } from './gitops-deps'
import type { RepoAuth } from './repo-reader'
import { applyChanges } from './sync-apply'
import { changesFor, type Change } from './sync-changes'

export interface SyncRequest {
  /** Report the changes only. */
  dryRun?: boolean
  /** Sync this commit and pin it; `null` unpins (a manual sync of the branch's head). */
  revision?: string | null
  /**
   * A caller's sync: whether it holds rights on a namespace the manifest names. Without it (a
   * poll, a webhook) the manifest must deploy where a caller last accepted.
   */
  mayDeployTo?: (namespace: string) => boolean
  /** A poll: new commits are applied, drift only when the application self-heals. */
  poll?: boolean
}

export interface SyncOutcome {
  commit: string | null
  phase: Phase
  changes: Change[]
  error: SyncError | null
  dryRun: boolean
}

/** Opens the application's repository credentials (kept sealed; see secrets/secret-box.ts). */
async function openAuth(deps: GitopsDeps, app: Application): Promise<RepoAuth | undefined> {
  if (!app.sealedAuth) return undefined
  const text = await deps.secretBox?.open(app.sealedAuth, authContext(app.namespace, app.name))
  if (text === undefined)
    throw new SyncFailure({ message: 'the stored credentials do not open with this secrets key' })
  return JSON.parse(text) as RepoAuth
}

export const authContext = (ns: string, name: string) => `gitops:${ns}/${name}:auth`
export const webhookContext = (ns: string, name: string) => `gitops:${ns}/${name}:webhook`

class SyncFailure extends Error {
  constructor(readonly error: SyncError) {
    super(error.message)
  }
}

/** Syncs `app` as `request` asks; records the outcome (unless a dry run) and returns it. */
export async function runSync(
  deps: GitopsDeps,
  app: Application,
  request: SyncRequest,
  now = Date.now(),
): Promise<SyncOutcome> {
  const dryRun = request.dryRun === true
  const revision = request.revision === undefined ? app.revision : request.revision
  const fail = (error: SyncError, commit: string | null = app.commit): SyncOutcome => {
    if (!dryRun) deps.store.put({ ...app, phase: 'Failed', error, lastSync: now, commit })
    return { commit, phase: 'Failed', changes: [], error, dryRun }
  }
  try {
    const repos = deps.repos
    if (!repos) throw new SyncFailure({ message: 'this host cannot fetch git repositories' })
    const fetched = await repos.fetch(app, app.source, {
      auth: await openAuth(deps, app),
      revision: revision ?? undefined,
      allowLocal: app.allowLocal,
    })
    if (!fetched.ok) return fail({ message: fetched.error })
    const snapshot = fetched.snapshot
    const desired = await desiredState(deps, snapshot, app.source.subdir, app.namespace)
    if (!desired.ok) return fail(desired.error, snapshot.commit)
    const state = desired.state
    let target = app.target
    if (state.namespace !== app.target) {
      if (!request.mayDeployTo)
        return fail(
          {
            message: `the manifest now deploys to namespace '${state.namespace}'; a sync by a caller with deploy rights there must accept it`,
            field: 'metadata.namespace',
          },
          snapshot.commit,
        )
      if (!request.mayDeployTo(state.namespace))
        throw new HttpError(
          403,
          'FORBIDDEN',
          `the manifest deploys to namespace '${state.namespace}', and this token does not grant 'deploy' there`,
          { field: 'metadata.namespace' },
        )
      target = state.namespace
    }
    const changes = changesFor(deps, state, app.resources, app.syncPolicy.prune)
    const drifted = changes.some((c) => c.action !== 'orphaned')
    const orphans = changes.some((c) => c.action === 'orphaned')
    if (dryRun) return { commit: snapshot.commit, phase: app.phase, changes, error: null, dryRun }
    // A poll of the commit already synced only looks, unless the application heals itself.
    if (
      request.poll &&
      snapshot.commit === app.commit &&
      app.phase !== 'Failed' &&
      !app.syncPolicy.selfHeal
    ) {
      const phase: Phase = drifted || orphans ? 'OutOfSync' : 'Synced'
      deps.store.put({ ...app, phase })
      return { commit: snapshot.commit, phase, changes, error: null, dryRun }
    }
    const resources = await applyChanges(deps, state, changes, snapshot, app.resources)
    const phase: Phase = orphans ? 'OutOfSync' : 'Synced'
    deps.store.put({
      ...app,
      target,
      revision: revision === null || revision === undefined ? null : snapshot.commit,
      commit: snapshot.commit,
      phase,
      error: null,
      lastSync: now,
      resources,
    })
    await deps.durable()
    return { commit: snapshot.commit, phase, changes, error: null, dryRun }
  } catch (err) {
    if (err instanceof HttpError && err.status === 403) throw err
    if (err instanceof SyncFailure) return fail(err.error)
    return fail({ message: err instanceof Error ? err.message : String(err) })
  }
}
