/**
 * GitOps applications as the API offers them: register (and sync at once), list, show, sync now
 * (a dry run, or pinned to a commit), delete (optionally pruning), the push webhook, and the poll
 * the orchestrator's tick drives. Syncs of one application run one at a time.
 */
import { HttpError } from '../http-error'
import type { Application } from './application-store'
import type { GitopsDeps } from './gitops-deps'
import type { Registration } from './gitops-schemas'
import { remove } from './sync-apply'
import {
  authContext,
  runSync,
  webhookContext,
  type SyncOutcome,
  type SyncRequest,
} from './sync-run'
import { verifySignature } from './webhook-signature'

/** Polls look for due applications this often; each is then fetched at its own interval. */
const POLL_CHECK_MS = 1000

const notFound = (ns: string, name: string) =>
  new HttpError(
    404,
    'APPLICATION_NOT_FOUND',
    `no GitOps application '${name}' in namespace '${ns}'`,
  )

export class GitopsService {
  readonly #deps: GitopsDeps
  /** The sync running (or queued last) per application: the next one starts after it. */
  readonly #running = new Map<string, Promise<unknown>>()
  #lastCheck = 0

  constructor(deps: GitopsDeps) {
    this.#deps = deps
  }

  /** Whether this host can fetch repositories; the routes answer 501 when not. */
  get supported(): boolean {
    return this.#deps.repos !== undefined
  }

  /**
   * Registers the application (replacing one of the same name) and syncs it. `local`: the caller
   * may fetch file:// and local paths (the operator). A manifest deploying to a namespace the
   * caller may not deploy to is a 403, and the application is not kept.
   */
  async register(
    body: Registration,
    caller: { local: boolean; mayDeployTo: (ns: string) => boolean },
    now = Date.now(),
  ): Promise<{ app: ReturnType<typeof view>; sync: SyncOutcome }> {
    this.#requireSupport()
    const { secretBox } = this.#deps
    if (!caller.local && isLocal(body.source.repoURL))
      throw new HttpError(403, 'FORBIDDEN', 'only the admin may register file:// repositories', {
        field: 'source.repoURL',
      })
    if ((body.auth || body.webhookSecret) && !secretBox)
      throw new HttpError(
        501,
        'NOT_SUPPORTED',
        'this host has no secrets key, so it cannot keep credentials or a webhook secret',
      )
    const { namespace, name } = body
    return this.#exclusive(namespace, name, async () => {
      const before = this.#deps.store.get(namespace, name)
      const app: Application = {
        namespace,
        name,
        source: body.source,
        syncPolicy: body.syncPolicy,
        sealedAuth:
          body.auth && secretBox
            ? await secretBox.seal(JSON.stringify(body.auth), authContext(namespace, name))
            : null,
        sealedWebhookSecret:
          body.webhookSecret && secretBox
            ? await secretBox.seal(body.webhookSecret, webhookContext(namespace, name))
            : null,
        allowLocal: caller.local,
        // The manifest's namespace is accepted anew, by this caller's rights.
        target: namespace,
        revision: null,
        commit: before?.commit ?? null,
        phase: 'OutOfSync',
        error: null,
        lastSync: before?.lastSync ?? null,
        lastPoll: now,
        resources: before?.resources ?? [],
        createdAt: before?.createdAt ?? now,
      }
      this.#deps.store.put(app)
      try {
        const sync = await runSync(this.#deps, app, { mayDeployTo: caller.mayDeployTo }, now)
        return { app: view(this.#get(namespace, name)), sync }
      } catch (err) {
        if (before) this.#deps.store.put(before)
        else this.#deps.store.remove(namespace, name)
        throw err
      } finally {
        await this.#deps.durable()
      }
    })
  }

  list(namespace?: string) {
    this.#requireSupport()
    return this.#deps.store.list(namespace).map(view)
  }

  get(namespace: string, name: string) {
    this.#requireSupport()
    return view(this.#get(namespace, name))
  }

  /** Syncs now, after any sync of it already running; returns the outcome and the status. */
  async sync(namespace: string, name: string, request: SyncRequest) {
    this.#requireSupport()
    this.#get(namespace, name)
    return this.#exclusive(namespace, name, async () => {
      const sync = await runSync(this.#deps, this.#get(namespace, name), request)
      return { app: view(this.#get(namespace, name)), sync }
    })
  }

  /** Deletes the application; with `prune`, also everything it deployed. */
  async remove(namespace: string, name: string, prune: boolean): Promise<string[]> {
    this.#requireSupport()
    this.#get(namespace, name)
    return this.#exclusive(namespace, name, async () => {
      const app = this.#get(namespace, name)
      const removed: string[] = []
      if (prune)
        for (const r of app.resources) {
          await remove(this.#deps, r)
          removed.push(`${r.kind}:${r.name}`)
        }
      this.#deps.store.remove(namespace, name)
      await this.#deps.durable()
      await this.#deps.repos?.forget(app)
      return removed
    })
  }

  /** A push: verified against the application's webhook secret, then synced. */
  async webhook(
    namespace: string,
    name: string,
    body: Uint8Array<ArrayBuffer>,
    signature?: string,
  ) {
    this.#requireSupport()
    const app = this.#deps.store.get(namespace, name)
    const secret =
      app?.sealedWebhookSecret &&
      (await this.#deps.secretBox?.open(app.sealedWebhookSecret, webhookContext(namespace, name)))
    // Unknown applications and bad signatures look alike to someone guessing.
    if (!secret || !(await verifySignature(secret, body, signature)))
      throw new HttpError(
        401,
        'BAD_SIGNATURE',
        "X-Hub-Signature-256 must be sha256=<hex HMAC-SHA256 of the body> with the application's webhook secret",
      )
    return this.sync(namespace, name, {})
  }

  /** Starts background syncs of the applications due a poll (the orchestrator's tick calls it). */
  tick(now = Date.now()): void {
    if (!this.supported || now - this.#lastCheck < POLL_CHECK_MS) return
    this.#lastCheck = now
    for (const app of this.#deps.store.list()) {
      if (now - app.lastPoll < app.syncPolicy.intervalSeconds * 1000) continue
      if (this.#running.has(key(app.namespace, app.name))) continue
      this.#deps.store.put({ ...app, lastPoll: now })
      void this.#exclusive(app.namespace, app.name, async () => {
        const current = this.#deps.store.get(app.namespace, app.name)
        if (current) await runSync(this.#deps, current, { poll: true })
      }).catch(() => {
        // A poll's failure is recorded on the application (phase Failed) by runSync.
      })
    }
  }

  #get(namespace: string, name: string): Application {
    const app = this.#deps.store.get(namespace, name)
    if (!app) throw notFound(namespace, name)
    return app
  }

  #requireSupport(): void {
    if (!this.supported)
      throw new HttpError(
        501,
        'NOT_SUPPORTED',
        'GitOps needs git, which this host does not run: use the Node host (npx zerverless)',
      )
  }

  #exclusive<T>(namespace: string, name: string, run: () => Promise<T>): Promise<T> {
    const k = key(namespace, name)
    const before = this.#running.get(k) ?? Promise.resolve()
    const next = before.catch(() => undefined).then(run)
    this.#running.set(k, next)
    const clear = () => {
      if (this.#running.get(k) === next) this.#running.delete(k)
    }
    next.then(clear, clear)
    return next
  }
}

const key = (ns: string, name: string) => `${ns}/${name}`

const isLocal = (url: string) => url.startsWith('file:')

/** What anyone with rights on the namespace may read: never a credential or the webhook secret. */
function view(app: Application) {
  return {
    name: app.name,
    namespace: app.namespace,
    source: app.source,
    syncPolicy: app.syncPolicy,
    auth: app.sealedAuth ? 'set' : 'none',
    webhook: app.sealedWebhookSecret !== null,
    deploysTo: app.target,
    revision: app.revision,
    commit: app.commit,
    lastSync: app.lastSync === null ? null : new Date(app.lastSync).toISOString(),
    phase: app.phase,
    resources: app.resources.map(({ kind, name, version }) => ({
      kind,
      name,
      ...(version !== undefined && { version }),
    })),
    error: app.error,
    createdAt: new Date(app.createdAt).toISOString(),
  }
}
