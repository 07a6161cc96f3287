/**
 * A volunteer's side of `/ws/volunteer`, for every kind of volunteer (internal workers,
 * `zerverless --worker`, the PWA, the runner): connect, say hello, run what arrives on an executor,
 * report, heartbeat, reconnect with backoff, drain on request.
 */
import type { Capabilities } from '../protocol/capabilities'
import {
  encodeFrame,
  HEARTBEAT_FRAME,
  parseOrchestratorFrame,
  PROTOCOL_VERSION,
  type AgentInfo,
  type JobFrame,
  type OrchestratorFrame,
  type PeerInfo,
  type ServiceRegisteredFrame,
  type ServiceRegisterFrame,
  type VolunteerFrame,
} from '../protocol/frames'
import type { SystemCapabilities } from '../protocol/system-capabilities'
import type { RunOutcome } from '../runtime/runtime'
import { clip, MAX_ERROR_MESSAGE, MAX_TRACEBACK } from '../protocol/errors'
import type { HostCall, HostReply } from '../protocol/host-call'
import { Backoff } from './backoff'
import { httpModuleSource, ModuleCache, ModuleError } from './module-cache'

/** The subset of the browser WebSocket API the agent needs; `ws` in Node provides it too. */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

/** Carries a guest's host call to the orchestrator and brings back the reply. */
export type HostHandler = (call: HostCall) => Promise<HostReply>

/** A job as an executor receives it: wasm jobs come with their module's bytes. */
export type RunnableJob = JobFrame & { wasm_bytes?: Uint8Array }

/** Runs one attempt of a job somewhere killable; resolves with the outcome, never rejects. */
export interface JobExecutor {
  /** `host` answers the guest's database calls; absent, the guest has no database. */
  execute(job: RunnableJob, signal: AbortSignal, host?: HostHandler): Promise<RunOutcome>
  close(): Promise<void>
}

/** A runner's side of standalone services: register an executable, forget a service. */
export interface ServiceHandler {
  register(
    frame: ServiceRegisterFrame,
  ): Promise<Omit<ServiceRegisteredFrame, 'type' | 'request_id'>>
  forget(serviceId: number, serviceName: string): void
}

export type AgentState = 'idle' | 'connecting' | 'connected' | 'draining' | 'stopped'

export type AgentEvent =
  | { type: 'state'; state: AgentState }
  | { type: 'welcome'; volunteerId: string }
  | { type: 'job-started'; jobId: string; jobType: string }
  | { type: 'job-finished'; jobId: string; ok: boolean; durationMs: number; error?: string }
  | { type: 'protocol-error'; code: string; message: string }
  | { type: 'disconnected'; code: number; reason: string; retryInMs?: number }

export interface AgentOptions {
  url: string
  connect: (url: string) => SocketLike
  executor: JobExecutor
  capabilities: Capabilities
  agent: AgentInfo
  onEvent?: (event: AgentEvent) => void
  backoff?: Backoff
  /** Where wasm modules come from; defaults to the orchestrator's /api/wasm behind `url`. */
  modules?: ModuleCache
  /** Runners: their identity and machine, sent in hello. */
  peer?: PeerInfo
  /** Runners: the orchestrator's runner token. */
  token?: string
  /** Runners: handles service registration requests. */
  services?: ServiceHandler
  /** Runners: re-reads what changes about the machine, sent every `systemRefreshMs`. */
  refreshSystem?: () => Promise<SystemCapabilities>
  systemRefreshMs?: number
}

const OPEN = 1
/** Intervals without any frame from the orchestrator before the socket is presumed dead. */
const SILENCE_INTERVALS = 3

interface RunningJob {
  attempt: number
  abort: AbortController
}

export class VolunteerAgent {
  private socket: SocketLike | undefined
  private state: AgentState = 'idle'
  private readonly running = new Map<string, RunningJob>()
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private systemTimer: ReturnType<typeof setInterval> | undefined
  private reconnect: ReturnType<typeof setTimeout> | undefined
  private lastHeard = 0
  private readonly backoff: Backoff
  private drained: (() => void) | undefined
  private readonly hostCalls = new Map<number, (reply: HostReply) => void>()
  private nextHostCall = 0
  volunteerId: string | undefined
  completed = 0
  failed = 0

  private readonly modules: ModuleCache

  constructor(private readonly options: AgentOptions) {
    this.backoff = options.backoff ?? new Backoff()
    this.modules = options.modules ?? new ModuleCache(httpModuleSource(options.url))
  }

  get status(): AgentState {
    return this.state
  }

  get runningJobs(): number {
    return this.running.size
  }

  start(): void {
    if (this.state !== 'idle') return
    this.open()
  }

  /** Stops taking jobs, lets running ones finish and report, then closes. */
  drain(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    this.setState('draining')
    clearTimeout(this.reconnect)
    this.send({ type: 'drain', reason: 'volunteer is shutting down' })
    if (this.running.size === 0) {
      this.stop()
      return Promise.resolve()
    }
    return new Promise((resolve) => (this.drained = resolve))
  }

  /** Closes at once; running jobs are abandoned and the orchestrator re-queues them. */
  stop(): void {
    this.setState('stopped')
    clearTimeout(this.reconnect)
    this.abortAll()
    this.closeSocket(1000, 'volunteer stopped')
    this.drained?.()
    this.drained = undefined
  }

  private open(): void {
    this.setState('connecting')
    let socket: SocketLike
    try {
      socket = this.options.connect(this.options.url)
    } catch {
      this.scheduleReconnect(1006, 'could not open a socket')
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.lastHeard = Date.now()
      this.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agent: this.options.agent,
        capabilities: this.options.capabilities,
        ...(this.options.peer && { peer: this.options.peer }),
        ...(this.options.token && { token: this.options.token }),
      })
    }
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.receive(event.data)
    }
    socket.onerror = () => {
      // A close event follows; reconnecting is handled there.
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = undefined
      clearInterval(this.heartbeat)
      clearInterval(this.systemTimer)
      this.abortAll()
      if (this.state === 'stopped' || this.state === 'draining') {
        this.setState('stopped')
        this.drained?.()
        this.drained = undefined
        this.options.onEvent?.({ type: 'disconnected', code: event.code, reason: event.reason })
        return
      }
      this.scheduleReconnect(event.code, event.reason)
    }
  }

  private scheduleReconnect(code: number, reason: string): void {
    const delay = this.backoff.next()
    this.setState('connecting')
    this.options.onEvent?.({ type: 'disconnected', code, reason, retryInMs: delay })
    this.reconnect = setTimeout(() => this.open(), delay)
  }

  private receive(text: string): void {
    this.lastHeard = Date.now()
    const parsed = parseOrchestratorFrame(text)
    if (!parsed.ok) {
      this.options.onEvent?.({ type: 'protocol-error', code: 'BAD_FRAME', message: parsed.error })
      return
    }
    this.handle(parsed.frame)
  }

  private handle(frame: OrchestratorFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.volunteerId = frame.volunteer_id
        this.backoff.reset()
        if (this.state === 'connecting') this.setState('connected')
        this.startHeartbeat(frame.heartbeat_interval_ms)
        this.startSystemRefresh()
        this.options.onEvent?.({ type: 'welcome', volunteerId: frame.volunteer_id })
        return
      case 'heartbeat_ack':
        return
      case 'job':
        this.run(frame)
        return
      case 'cancel': {
        const job = this.running.get(frame.job_id)
        if (job && job.attempt === frame.attempt) job.abort.abort(frame.reason)
        return
      }
      case 'error':
        this.options.onEvent?.({ type: 'protocol-error', code: frame.code, message: frame.message })
        return
      case 'host_reply': {
        const pending = this.hostCalls.get(frame.request_id)
        this.hostCalls.delete(frame.request_id)
        pending?.(frame.reply)
        return
      }
      case 'drain':
        // The orchestrator is going away; its close follows and we reconnect with backoff.
        return
      case 'service_register': {
        const handler = this.options.services
        const answer = handler
          ? handler.register(frame).catch((err: unknown) => ({
              ok: false,
              error: err instanceof Error ? err.message : String(err),
            }))
          : Promise.resolve({ ok: false, error: 'this volunteer does not run native executables' })
        void answer.then((reply) =>
          this.send({ type: 'service_registered', request_id: frame.request_id, ...reply }),
        )
        return
      }
      case 'service_forget':
        this.options.services?.forget(frame.service_id, frame.service_name)
        return
    }
  }

  private run(job: JobFrame): void {
    if (this.running.has(job.job_id) || this.state === 'draining' || this.state === 'stopped')
      return
    const abort = new AbortController()
    this.running.set(job.job_id, { attempt: job.attempt, abort })
    this.options.onEvent?.({ type: 'job-started', jobId: job.job_id, jobType: job.job_type })
    void this.prepare(job)
      .then((runnable) =>
        this.options.executor.execute(runnable, abort.signal, (call) => this.callHost(job, call)),
      )
      .catch((err: unknown): RunOutcome & { retryable?: boolean } => ({
        ok: false,
        error: {
          code: 'WORKER_CRASHED',
          message: err instanceof Error ? err.message : String(err),
        },
        output: '',
        durationMs: 0,
        retryable: err instanceof ModuleError ? err.retryable : true,
      }))
      .then((outcome) => this.finish(job, abort, outcome))
  }

  /** wasm jobs need their module's bytes, from the cache or the orchestrator. */
  private async prepare(job: JobFrame): Promise<RunnableJob> {
    if (!job.wasm_cid) return job
    return { ...job, wasm_bytes: await this.modules.get(job.wasm_cid) }
  }

  private finish(
    job: JobFrame,
    abort: AbortController,
    outcome: RunOutcome & { retryable?: boolean },
  ): void {
    const held = this.running.get(job.job_id)
    if (held?.abort === abort) this.running.delete(job.job_id)
    if (outcome.ok) this.completed++
    else this.failed++
    this.options.onEvent?.({
      type: 'job-finished',
      jobId: job.job_id,
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      ...(!outcome.ok && { error: outcome.error.message }),
    })
    // Cancelled by the orchestrator, or the socket it came on is gone: nobody wants this report.
    if (!abort.signal.aborted && held?.abort === abort) {
      const streams = {
        ...(outcome.stderr !== undefined && { stderr: outcome.stderr }),
        ...(outcome.exitCode !== undefined && { exit_code: outcome.exitCode }),
      }
      const ref = { job_id: job.job_id, attempt: job.attempt }
      if (outcome.ok) {
        this.send({
          type: 'result',
          ...ref,
          result: outcome.result,
          output: outcome.output,
          ...streams,
        })
      } else {
        const retryable = outcome.retryable ? { retryable: true } : {}
        const { message, traceback } = outcome.error
        const error = {
          ...outcome.error,
          message: clip(message, MAX_ERROR_MESSAGE),
          ...(traceback !== undefined && { traceback: clip(traceback, MAX_TRACEBACK) }),
        }
        this.send({
          type: 'error',
          ...ref,
          error,
          output: outcome.output,
          ...streams,
          ...retryable,
        })
      }
    }
    if (this.state === 'draining' && this.running.size === 0) this.stop()
  }

  private startSystemRefresh(): void {
    clearInterval(this.systemTimer)
    const refresh = this.options.refreshSystem
    if (!refresh) return
    this.systemTimer = setInterval(() => {
      void refresh().then(
        (system) => this.send({ type: 'system', system }),
        () => {},
      )
    }, this.options.systemRefreshMs ?? 60_000)
  }

  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeat)
    const every = Math.max(50, Math.floor(intervalMs / 2))
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > intervalMs * SILENCE_INTERVALS) {
        // A dead peer may never complete the close handshake: treat the socket as lost now.
        const socket = this.socket
        this.closeSocket(4000, 'orchestrator stopped answering')
        socket?.onclose?.({ code: 4000, reason: 'orchestrator stopped answering' })
        return
      }
      if (this.socket?.readyState === OPEN) this.socket.send(HEARTBEAT_FRAME)
    }, every)
  }

  private send(frame: VolunteerFrame): void {
    if (this.socket?.readyState !== OPEN) return
    try {
      this.socket.send(encodeFrame(frame))
    } catch {
      // The close event will follow.
    }
  }

  private closeSocket(code: number, reason: string): void {
    clearInterval(this.heartbeat)
    clearInterval(this.systemTimer)
    const socket = this.socket
    if (!socket) return
    try {
      socket.close(code, reason)
    } catch {
      // Already closed.
    }
  }

  private abortAll(): void {
    for (const job of this.running.values()) job.abort.abort('disconnected')
    this.running.clear()
    for (const reply of this.hostCalls.values())
      reply({ ok: false, error: 'the connection to the orchestrator was lost' })
    this.hostCalls.clear()
  }

  /** Sends a guest's host call for `job` and waits for the orchestrator's reply. */
  private callHost(job: JobFrame, call: HostCall): Promise<HostReply> {
    if (this.socket?.readyState !== OPEN)
      return Promise.resolve({ ok: false, error: 'not connected to the orchestrator' })
    const requestId = this.nextHostCall++
    return new Promise((resolve) => {
      this.hostCalls.set(requestId, resolve)
      this.send({
        type: 'host',
        job_id: job.job_id,
        attempt: job.attempt,
        request_id: requestId,
        call,
      })
    })
  }

  private setState(state: AgentState): void {
    if (this.state === state) return
    this.state = state
    this.options.onEvent?.({ type: 'state', state })
  }
}
