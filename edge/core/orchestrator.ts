/**
 * The composition root of the core: one store, one scheduler, one volunteer hub, and the clock
 * that enforces deadlines and heartbeats. Hosts create it with their SQL and drive `tick`.
 */
import { sha256Hex } from '../../shared/protocol/hash'
import type { OrchestratorConfig } from './config'
import { Scheduler } from './jobs/scheduler'
import { KvStore } from './kv/kv-store'
import { answerHostCall } from './kv/host-calls'
import { DeploymentStore } from './functions/deployment-store'
import type { CodeCompiler } from './functions/code-check'
import { FunctionLogs } from './functions/function-logs'
import { FunctionRouter } from './functions/function-router'
import { FunctionService } from './functions/function-service'
import { FileIndex } from './storage/file-index'
import type { FileStore } from './storage/file-store'
import { StorageService } from './storage/storage-service'
import { JobStore } from './store/job-store'
import { MIGRATIONS } from './store/migrations'
import { migrate, type Sql } from './store/sql'
import { VolunteerHub } from './volunteers/volunteer-hub'
import { VolunteerPool } from './volunteers/volunteer-pool'
import { JobOutputs } from './services/job-outputs'
import { RunnerDirectory } from './services/runner-directory'
import { ServiceStore } from './services/service-store'
import { NativeServiceJobs } from './services/native-service-jobs'
import { StandaloneServices } from './services/standalone-services'
import { UploadSessions, type UploadSink } from './services/upload-sessions'
import { Metrics } from './observability/metrics'
import { countVolunteers } from './observability/volunteer-stats'
import { Authenticator, type TokenGrant } from './auth/authenticator'
import { TokenStore } from './auth/token-store'
import { ExecutorCredentials } from './volunteers/executor-identity'
import type { Summon } from './jobs/invocations'
import type { Logger } from './observability/logger'
import { WorkflowStore } from './workflows/workflow-store'
import { WorkflowEngine } from './workflows/workflow-engine'
import { WorkflowService } from './workflows/workflow-service'
import { CronService } from './cron/cron-service'
import { CronStore } from './cron/cron-store'
import { functionCaller, serviceStarter } from './workflows/step-hosts'
import { Federation, type FederationSettings } from './federation/federation'
import { FORWARDED_PREFIX, isForwarded } from './federation/forwarded-namespace'
import type { SecretBox } from './secrets/secret-box'
import { ApplicationStore } from './gitops/application-store'
import { GitopsService } from './gitops/gitops-service'
import type { RepoReader } from './gitops/repo-reader'
import { SecretService } from './secrets/secret-service'
import { SecretStore } from './secrets/secret-store'

/** How often deadlines are checked; the worst extra delay past `timeout_seconds` + grace. */
const TICK_MS = 100
/** Expired keys are invisible at once; they are deleted from disk this often. */
const KV_SWEEP_MS = 60_000
/** Upload groups idle for an hour are dropped; looking every five minutes is enough. */
const UPLOAD_SWEEP_MS = 5 * 60_000

export class Orchestrator {
  readonly scheduler: Scheduler
  readonly hub: VolunteerHub
  readonly kv: KvStore
  readonly functions: FunctionService
  /** Files, when the host has somewhere to keep them. */
  readonly storage: StorageService | undefined
  /** Standalone services and the runners that run them. */
  readonly services: StandaloneServices
  readonly runners: RunnerDirectory
  /** What native jobs produced, when the host has somewhere to keep it. */
  readonly outputs: JobOutputs | undefined
  /** Chunked service uploads over /ws/upload, when the host has somewhere to keep parts. */
  readonly uploads: UploadSessions | undefined
  /** Counters and gauges for `GET /metrics`; rate limiters report to `metrics.rateLimited`. */
  readonly metrics: Metrics
  readonly auth: Authenticator
  readonly tokens: TokenStore
  /** Tells volunteers apart by the credential they present (see volunteers/executor-identity.ts). */
  readonly executors: ExecutorCredentials
  /** Workflows and their runs (the API's side), and the engine that runs them. */
  readonly workflows: WorkflowService
  readonly workflowEngine: WorkflowEngine
  /** Peer orchestrators, when the host joins a mesh. */
  readonly federation: Federation | undefined
  /** GitOps applications and their poll (501 where the host has no git). */
  readonly gitops: GitopsService
  /** A namespace's secrets, when the host has a key to seal them with (see secrets/). */
  readonly secrets: SecretService | undefined
  /** Cron triggers: `tick` fires them; the Workers host wakes for `crons.nextDue()`. */
  readonly crons: CronService
  /** The volunteers connected here, as the scheduler's first placement. */
  private pool!: VolunteerPool
  private lastUploadSweep = 0
  readonly startedAt = Date.now()
  private timer: ReturnType<typeof setInterval> | undefined
  /** Fires a cron tick on its millisecond instead of at the next 100 ms look (see armCron). */
  private cronTimer: ReturnType<typeof setTimeout> | undefined
  private lastSweep = 0
  private lastKvSweep = 0

  /** Hex SHA-256 of code; hosts with a synchronous one pass it (Web Crypto's costs ~0.1 ms a call). */
  readonly sha256: (text: string) => string | Promise<string>

  constructor(
    private readonly sql: Sql,
    readonly config: OrchestratorConfig,
    host: {
      sha256?: (text: string) => string
      /** Users' files (/api/storage). */
      files?: FileStore
      /** Uploaded services' executables, a directory per service name. */
      serviceFiles?: FileStore
      /** Native jobs' outputs, a directory per job id. */
      outputFiles?: FileStore
      /** Where upload parts wait until their group completes. */
      uploadSink?: UploadSink
      /** Volunteers' sockets outlive this object; the host calls `scheduler.resume` (see there). */
      resumable?: boolean
      /** Asks for a volunteer when none here can run a function (see InvocationTable). */
      summon?: Summon
      /** What was issued under an API token id, where tokens live elsewhere (edge rooms). */
      tokenGrant?: (id: string) => Promise<TokenGrant | undefined>
      /** Where workflow runs log their steps. */
      logger?: Logger
      /** Services and runners are in another room (edge rooms but the home one): see WorkflowLookups. */
      servicesElsewhere?: boolean
      /** Workflow work was handed over after an await, outside any request or frame (see the engine). */
      launched?: () => void
      /** Join a mesh of orchestrators (the host attaches it: `federation.attach`). */
      federation?: FederationSettings
      /** Seals secrets and repository credentials at rest; without it neither can be kept. */
      secretBox?: SecretBox
      /** Fetches GitOps applications' repositories (the Node host's git); none on the edge. */
      repos?: RepoReader
      /** Compiles functions' code at deploy without running it (Node); none on the edge. */
      compile?: CodeCompiler
    } = {},
  ) {
    this.sha256 = host.sha256 ?? sha256Hex
    migrate(sql, MIGRATIONS)
    // Sealed with the host's key; without one no work may declare secrets (the routes say 503).
    this.secrets = host.secretBox && new SecretService(new SecretStore(sql), host.secretBox)
    const serviceStore = new ServiceStore(sql)
    const nativeJobs = new NativeServiceJobs(serviceStore, config.nodeId, (hash) =>
      this.scheduler.codeOf(hash),
    )
    this.outputs = host.outputFiles && new JobOutputs(sql, host.outputFiles, config.maxUploadBytes)
    const outputs = this.outputs
    this.federation =
      host.federation &&
      new Federation(host.federation, {
        jobs: () => this.scheduler,
        pool: () => this.pool,
        hub: () => this.hub,
        answer: (scope, call) => answerHostCall(this.kv, scope, call),
        sha256: this.sha256,
        trustAll: !config.auth.enabled,
        native: host.serviceFiles &&
          outputs && {
            services: serviceStore,
            serviceFiles: host.serviceFiles,
            outputs,
            maxFileBytes: config.maxUploadBytes,
            needs: (job) => nativeJobs.target(job),
          },
      })
    this.metrics = new Metrics({
      jobs: () => this.scheduler.statusCounts(),
      volunteers: () => countVolunteers(this.hub),
    })
    this.tokens = new TokenStore(sql)
    this.auth = new Authenticator(config.auth, host.tokenGrant ?? ((id) => this.tokens.get(id)))
    this.executors = new ExecutorCredentials({
      auth: this.auth,
      ...(config.volunteerToken !== undefined && { volunteerToken: config.volunteerToken }),
      ...(config.runnerToken !== undefined && { runnerToken: config.runnerToken }),
      ...(config.internalToken !== undefined && { internalToken: config.internalToken }),
    })
    // Jobs run on the volunteers connected here (the first placement; see placement/placement.ts).
    const scheduler = new Scheduler(
      new JobStore(sql),
      {
        timeoutGraceMs: config.timeoutGraceMs,
        durable: (urgent) => sql.durable(urgent),
        native: nativeJobs,
        idPrefix: config.idPrefix,
        observer: this.metrics,
        resumable: host.resumable ?? false,
        ...(host.summon && { summon: host.summon }),
        secrets: this.secrets,
      },
      // …and on peer orchestrators, when the host joins a mesh (see federation/).
      (events) => {
        const pool = new VolunteerPool(events)
        this.pool = pool
        return this.federation ? [pool, this.federation.placement(events)] : [pool]
      },
    )
    const pool = this.pool
    this.scheduler = scheduler
    if (this.federation) {
      const federation = this.federation
      scheduler.onFinished((job) => federation.finished(job))
      // Peers' jobs cut off by a restart have no lease left: their origins run them elsewhere.
      for (const id of scheduler.unfinishedIn(FORWARDED_PREFIX)) scheduler.cancel(id)
    }
    this.runners = new RunnerDirectory(() => this.hub.connected)
    this.services = new StandaloneServices({
      store: serviceStore,
      runners: this.runners,
      jobs: scheduler,
      files: host.serviceFiles,
      outputs: this.outputs,
      sha256: this.sha256,
      maxFileBytes: config.maxUploadBytes,
      elsewhere: (work) => this.federation?.canTake(work) ?? false,
      secrets: this.secrets,
    })
    this.uploads =
      host.uploadSink &&
      new UploadSessions({
        sink: host.uploadSink,
        complete: async (group, sink) => {
          const done = await this.services.completeUpload(group, sink)
          await this.durable()
          return done
        },
        maxFileBytes: config.maxUploadBytes,
        messageRate: {
          rate: config.limits.uploadMessageRate,
          burst: config.limits.uploadMessageBurst,
        },
      })
    this.kv = new KvStore(sql, (op) => this.metrics.kvOp(op), config.limits.maxKvKeys)
    this.hub = new VolunteerHub(
      pool,
      config,
      (scope, call) =>
        this.federation && isForwarded(scope.namespace)
          ? this.federation.relay(scope, call)
          : answerHostCall(this.kv, scope, call),
      this.runners,
      (token) => this.executors.identify(token),
    )
    const deployments = new DeploymentStore(sql)
    this.functions = new FunctionService({
      store: deployments,
      router: new FunctionRouter(deployments),
      logs: new FunctionLogs(),
      code: this.scheduler,
      invocations: this.scheduler.invocations,
      metrics: this.metrics,
      sha256: this.sha256,
      durable: () => this.durable(),
      secrets: this.secrets,
      compile: host.compile,
    })
    this.storage =
      host.files &&
      new StorageService(
        new FileIndex(sql),
        host.files,
        config.maxUploadBytes,
        (op) => this.metrics.storageOp(op),
        config.limits.maxStorageBytes,
      )
    const workflowStore = new WorkflowStore(sql)
    const calls = functionCaller(this.functions)
    const starts = serviceStarter(this.services)
    this.workflowEngine = new WorkflowEngine({
      store: workflowStore,
      jobs: scheduler,
      functions: calls,
      services: starts,
      storage: this.storage,
      sha256: this.sha256,
      defaults: {
        timeoutSeconds: config.defaultTimeoutSeconds,
        maxRetries: config.defaultMaxRetries,
      },
      metrics: this.metrics,
      logger: host.logger,
      ended: (runId) => this.workflows.ended(runId),
      launched: host.launched,
    })
    this.workflows = new WorkflowService({
      store: workflowStore,
      engine: this.workflowEngine,
      lookups: {
        hasFunction: calls.hasFunction,
        hasService: starts.hasService,
        serviceSteps: !host.servicesElsewhere,
        missingSecrets: (namespace, names) => this.secrets?.missing(namespace, names) ?? [...names],
      },
      idPrefix: config.idPrefix,
    })
    // Runs a crash interrupted go on (their jobs were restored by the scheduler above).
    this.workflowEngine.recover()
    // Cron triggers fire from `tick`; ticks claimed but not started before a crash start here.
    this.crons = new CronService({
      store: new CronStore(sql),
      config,
      functions: calls,
      jobs: scheduler,
      workflows: this.workflows,
      sha256: this.sha256,
      launched: host.launched,
      logger: host.logger,
      secrets: this.secrets,
    })
    this.gitops = new GitopsService({
      config,
      store: new ApplicationStore(sql),
      repos: host.repos,
      secretBox: host.secretBox,
      functions: this.functions,
      storage: this.storage,
      workflows: this.workflows,
      lookups: { hasFunction: calls.hasFunction, hasService: starts.hasService },
      secrets: this.secrets,
      crons: this.crons,
      sha256: this.sha256,
      durable: () => this.durable(),
    })
  }

  /** Waits until what was written so far survives a crash; await it before acknowledging. */
  durable(): Promise<void> {
    return this.sql.durable()
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (this.cronTimer) clearTimeout(this.cronTimer)
    this.cronTimer = undefined
  }

  tick(now = Date.now()): void {
    this.scheduler.expire(now)
    this.federation?.tick(now)
    this.workflowEngine.tick(now)
    this.gitops.tick(now)
    this.crons.tick(now)
    this.armCron(now)
    if (this.uploads && now - this.lastUploadSweep >= UPLOAD_SWEEP_MS) {
      this.lastUploadSweep = now
      void this.uploads.sweep()
    }
    if (now - this.lastKvSweep >= KV_SWEEP_MS) {
      this.lastKvSweep = now
      this.kv.sweep(now)
    }
    if (now - this.lastSweep >= this.config.heartbeatIntervalMs / 4) {
      this.lastSweep = now
      this.hub.sweep(now)
    }
  }

  /**
   * A trigger due before the next look gets a timer of its own, so ticks fire on time rather than
   * up to 100 ms late. Only while started: the Workers host wakes for `crons.nextDue()` instead.
   */
  private armCron(now: number): void {
    const next = this.crons.nextDue()
    if (!this.timer || this.cronTimer || next === undefined || next - now >= TICK_MS) return
    this.cronTimer = setTimeout(
      () => {
        this.cronTimer = undefined
        this.crons.tick(Date.now())
      },
      // One ms past it: the timer and the wall clock may disagree by that much.
      Math.max(0, next - now) + 1,
    )
  }

  uptimeSeconds(now = Date.now()): number {
    return Math.floor((now - this.startedAt) / 1000)
  }
}
