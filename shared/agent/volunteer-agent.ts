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
  type VolunteerFrame,
} from '../protocol/frames'
import type { SystemCapabilities } from '../protocol/system-capabilities'
import { AgentJobs } from './agent-jobs'
import type { AgentEvent, AgentState, JobExecutor, ServiceHandler, SocketLike } from './agent-ports'
import { Backoff } from './backoff'
import { isFrameLink, type FrameLink } from './frame-link'
import { httpModuleSource, ModuleCache } from './module-cache'

// What the agent plugs into lives in agent-ports.ts; importers have always found it here.
export type {
  AgentEvent,
  AgentState,
  HostHandler,
  JobExecutor,
  RunHooks,
  RunnableJob,
  SocketLike,
} from './agent-ports'

export interface AgentOptions {
  url: string
  /**
   * Opens the connection: a WebSocket (or its like), or a frame link to an orchestrator that
   * trusts this agent's code and is trusted by it (internal workers; see frame-link.ts).
   */
  connect: (url: string) => SocketLike | FrameLink
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

export class VolunteerAgent {
  private socket: SocketLike | FrameLink | undefined
  private state: AgentState = 'idle'
  private readonly jobs: AgentJobs
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private systemTimer: ReturnType<typeof setInterval> | undefined
  private reconnect: ReturnType<typeof setTimeout> | undefined
  private lastHeard = 0
  private readonly backoff: Backoff
  private drained: (() => void) | undefined
  volunteerId: string | undefined

  constructor(private readonly options: AgentOptions) {
    this.backoff = options.backoff ?? new Backoff()
    this.jobs = new AgentJobs({
      executor: options.executor,
      modules: options.modules ?? new ModuleCache(httpModuleSource(options.url)),
      send: (frame) => this.send(frame),
      ...(options.onEvent && { onEvent: options.onEvent }),
      onIdle: () => {
        if (this.state === 'draining') this.stop()
      },
    })
  }

  get status(): AgentState {
    return this.state
  }

  get runningJobs(): number {
    return this.jobs.size
  }

  /** Jobs that ended well since the agent was made. */
  get completed(): number {
    return this.jobs.completed
  }

  /** Jobs that ended in an error since the agent was made. */
  get failed(): number {
    return this.jobs.failed
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
    if (this.jobs.size === 0) {
      this.stop()
      return Promise.resolve()
    }
    return new Promise((resolve) => (this.drained = resolve))
  }

  /** Closes at once; running jobs are abandoned and the orchestrator re-queues them. */
  stop(): void {
    this.setState('stopped')
    clearTimeout(this.reconnect)
    this.jobs.abortAll()
    this.closeSocket(1000, 'volunteer stopped')
    this.drained?.()
    this.drained = undefined
  }

  private open(): void {
    this.setState('connecting')
    let socket: SocketLike | FrameLink
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
        // This agent parses job frames' `function` field, so the orchestrator may send it.
        capabilities: { ...this.options.capabilities, warm: true },
        ...(this.options.peer && { peer: this.options.peer }),
        ...(this.options.token && { token: this.options.token }),
      })
    }
    if (isFrameLink(socket)) {
      socket.onframe = (frame) => {
        this.lastHeard = Date.now()
        this.handle(frame)
      }
    } else {
      socket.onmessage = (event) => {
        if (typeof event.data === 'string') this.receive(event.data)
      }
      socket.onerror = () => {
        // A close event follows; reconnecting is handled there.
      }
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = undefined
      clearInterval(this.heartbeat)
      clearInterval(this.systemTimer)
      this.jobs.abortAll()
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
      case 'cancel':
        this.jobs.cancel(frame.job_id, frame.attempt, frame.reason)
        return
      case 'error':
        this.options.onEvent?.({ type: 'protocol-error', code: frame.code, message: frame.message })
        return
      case 'host_reply':
        this.jobs.hostReply(frame.request_id, frame.reply)
        return
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
    if (this.state === 'draining' || this.state === 'stopped') return
    this.jobs.start(job)
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
      const socket = this.socket
      if (socket?.readyState !== OPEN) return
      if (isFrameLink(socket)) socket.send({ type: 'heartbeat' })
      else socket.send(HEARTBEAT_FRAME)
    }, every)
  }

  /** Sends on the open socket; false when there is none (a frame then has nobody to go to). */
  private send(frame: VolunteerFrame): boolean {
    const socket = this.socket
    if (socket?.readyState !== OPEN) return false
    try {
      if (isFrameLink(socket)) socket.send(frame)
      else socket.send(encodeFrame(frame))
    } catch {
      // The close event will follow.
    }
    return true
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

  private setState(state: AgentState): void {
    if (this.state === state) return
    this.state = state
    this.options.onEvent?.({ type: 'state', state })
  }
}
