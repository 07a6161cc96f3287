/**
 * The API's one route table: every route module in the order Hono tries them, each mounted with
 * exactly the stores and services its handlers use, drawn from the orchestrator. A front that
 * only forwards mounts the same tables without them (rooms/route-to-owner.ts).
 */
import type { Hono, MiddlewareHandler } from 'hono'
import type { AssetSource } from '../assets/asset-source'
import type { Authenticator } from '../auth/authenticator'
import type { TokenStore } from '../auth/token-store'
import type { OrchestratorConfig } from '../config'
import type { FunctionService } from '../functions/function-service'
import type { Scheduler } from '../jobs/scheduler'
import type { KvStore } from '../kv/kv-store'
import type { Metrics } from '../observability/metrics'
import { countVolunteers } from '../observability/volunteer-stats'
import type { JobOutputs } from '../services/job-outputs'
import type { RunnerDirectory } from '../services/runner-directory'
import type { StandaloneServices } from '../services/standalone-services'
import type { StorageService } from '../storage/storage-service'
import type { VolunteerHub } from '../volunteers/volunteer-hub'
import { dbRoutes } from './db-routes'
import { deployRoutes } from './deploy-routes'
import { functionRoutes } from './function-routes'
import { healthRoutes } from './health-routes'
import { jobOutputRoutes } from './job-output-routes'
import { jobRoutes } from './job-routes'
import { jobViewer } from './job-view'
import { metricsRoutes } from './metrics-routes'
import { apiDocumentJson } from '../openapi/api-document'
import { openApiRoutes } from './openapi-routes'
import { peerRoutes } from './peer-routes'
import { federationRoutes } from './federation-routes'
import type { Federation } from '../federation/federation'
import type { PathMethods } from './method-not-allowed'
import type { RouteTable } from './route-table'
import { secretRoutes } from './secret-routes'
import { serviceRoutes } from './service-routes'
import { socketRoutes } from './socket-routes'
import { staticRoutes, storageRoutes } from './storage-routes'
import { tokenRoutes } from './token-routes'
import { volunteerPageRoutes } from './volunteer-page-routes'
import { consolePageRoutes } from './console-page-routes'
import { volunteerRoutes } from './volunteer-routes'
import { wasmRoutes } from './wasm-routes'
import { workflowRoutes } from './workflow-routes'
import { gitopsRoutes } from './gitops-routes'
import type { GitopsService } from '../gitops/gitops-service'
import { cronRoutes } from './cron-routes'
import type { CronService } from '../cron/cron-service'
import type { WorkflowService } from '../workflows/workflow-service'
import type { SecretService } from '../secrets/secret-service'

/** The orchestrator's stores and services the API answers from (an `Orchestrator` is one). */
export interface AppCore {
  readonly config: OrchestratorConfig
  readonly auth: Authenticator
  readonly tokens: TokenStore
  readonly metrics: Metrics
  readonly scheduler: Scheduler
  readonly hub: VolunteerHub
  readonly kv: KvStore
  readonly functions: FunctionService
  /** Files, when the host has somewhere to keep them. */
  readonly storage: StorageService | undefined
  readonly services: StandaloneServices
  readonly runners: RunnerDirectory
  /** What native jobs produced, when the host has somewhere to keep it. */
  readonly outputs: JobOutputs | undefined
  readonly workflows: WorkflowService
  readonly gitops: GitopsService
  /** Secrets, when the host has a secrets key. */
  readonly secrets?: SecretService | undefined
  readonly crons: CronService
  /** Peer orchestrators, when the host joined a mesh. */
  readonly federation?: Federation | undefined
  readonly sha256: (text: string) => string | Promise<string>
  /** Resolves once what was written so far survives a crash. */
  durable(): Promise<void>
  uptimeSeconds(): number
}

/** What the host adds: its name, its sockets, its copy of the volunteer page. */
export interface ApiHost {
  host: 'node' | 'workers'
  volunteerSocket: MiddlewareHandler | undefined
  uploadSocket: MiddlewareHandler | undefined
  assets: AssetSource | undefined
  /** See `launched` in app.ts. */
  launched?: (() => void) | undefined
}

/**
 * Mounts every route; without `core`, for matching only (each is answered in its room). `known`
 * learns every route but the functions' catch-all, for the 405s (method-not-allowed.ts).
 */
export function mountApi(
  app: Hono,
  core: AppCore | undefined,
  host: ApiHost,
  known: PathMethods,
): void {
  const mount = <D>(table: RouteTable<D>, deps: (core: AppCore) => D) => {
    table.mount(app, core && deps(core))
    known.add(table)
  }
  const durable = (core: AppCore) => () => core.durable()
  const intake = (core: AppCore) => ({
    maxWasmBytes: core.config.maxWasmBytes,
    modules: core.scheduler,
  })
  const view = (core: AppCore) => jobViewer({ jobs: core.scheduler, outputs: core.outputs })

  mount(healthRoutes, (core) => ({
    nodeId: core.config.nodeId,
    version: core.config.version,
    host: host.host,
    uptimeSeconds: () => core.uptimeSeconds(),
    volunteers: () => countVolunteers(core.hub),
    jobs: () => core.scheduler.statusCounts(),
    mesh: () =>
      core.federation?.self
        ? { peer_id: core.federation.self, p2p_addresses: core.federation.addresses() }
        : undefined,
  }))
  mount(metricsRoutes, (core) => ({ metrics: core.metrics }))
  mount(tokenRoutes, (core) => ({
    auth: core.auth,
    tokens: core.tokens,
    durable: durable(core),
    revoked: (id: string) => core.hub.revoke(id),
  }))
  mount(jobRoutes, (core) => ({
    config: core.config,
    jobs: core.scheduler,
    intake: intake(core),
    view: view(core),
    sha256: core.sha256,
    durable: durable(core),
    secrets: core.secrets,
    launched: host.launched,
  }))
  mount(wasmRoutes, (core) => ({
    intake: intake(core),
    modules: core.scheduler,
    durable: durable(core),
  }))
  mount(volunteerRoutes, (core) => ({ hub: core.hub, standing: core.scheduler }))
  mount(dbRoutes, (core) => ({ kv: core.kv, durable: durable(core) }))
  mount(secretRoutes, (core) => ({ secrets: core.secrets, durable: durable(core) }))
  mount(deployRoutes, (core) => ({
    functions: core.functions,
    intake: intake(core),
    modules: core.scheduler,
    defaultTimeoutSeconds: core.config.defaultTimeoutSeconds,
    durable: durable(core),
    secrets: core.secrets,
  }))
  mount(serviceRoutes, (core) => ({
    services: core.services,
    view: view(core),
    durable: durable(core),
  }))
  mount(workflowRoutes, (core) => ({
    config: core.config,
    workflows: core.workflows,
    durable: durable(core),
  }))
  mount(gitopsRoutes, (core) => ({ config: core.config, gitops: core.gitops }))
  mount(cronRoutes, (core) => ({ config: core.config, crons: core.crons, durable: durable(core) }))
  mount(peerRoutes, (core) => ({ services: core.services, runners: core.runners }))
  mount(federationRoutes, (core) => ({ federation: core.federation }))
  // Hosts without somewhere to keep outputs or files have no such routes.
  const outputs = core?.outputs
  if (!core || outputs) {
    known.add(jobOutputRoutes)
    jobOutputRoutes.mount(
      app,
      core &&
        outputs && {
          jobs: core.scheduler,
          outputs,
          readableBy: (job, token) => core.services.outputsReadableBy(job, token),
          durable: durable(core),
        },
    )
  }
  const storage = core?.storage
  if (!core || storage) {
    storageRoutes.mount(app, core && storage && { storage, durable: durable(core) })
    staticRoutes.mount(app, storage && { storage })
    known.add(storageRoutes)
    known.add(staticRoutes)
  }
  // Any process serves the volunteer page, the front too.
  volunteerPageRoutes.mount(app, { assets: host.assets })
  known.add(volunteerPageRoutes)
  consolePageRoutes.mount(app, { assets: host.assets })
  known.add(consolePageRoutes)
  // The OpenAPI document and its docs page, likewise from any process (openapi-routes.ts).
  openApiRoutes.mount(app, { document: apiDocumentJson, assets: host.assets })
  known.add(openApiRoutes)
  mount(socketRoutes, () => ({
    volunteerSocket: host.volunteerSocket,
    uploadSocket: host.uploadSocket,
  }))
  // Last: anything else under /{user}/ is a function invocation, whatever its method.
  functionRoutes.mount(app, core && { functions: core.functions })
}
