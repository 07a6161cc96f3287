/**
 * What the volunteer agent plugs into, and what it tells: a socket, an executor that runs jobs
 * somewhere killable, a runner's service handler, and the events a host shows. Each kind of
 * volunteer (the PWA, internal workers, `--worker`, the runner) supplies its own implementations.
 */
import type { ServiceRegisteredFrame, ServiceRegisterFrame, JobFrame } from '../protocol/frames'
import type { HostCall, HostReply } from '../protocol/host-call'
import type { RunOutcome } from '../runtime/runtime'

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

/** Carries a guest's progress (already checked: a fraction in 0..1, a capped message) out. */
type ProgressHandler = (fraction: number, message: string | undefined) => void

/** What an executor tells of a run while it lasts. */
export interface RunHooks {
  /** The job left the queue for a thread (a prefetched job waits before this). */
  started?: () => void
  /** The guest called `progress(fraction, message)`. */
  progress?: ProgressHandler
}

/** A job as an executor receives it: wasm jobs come with their module's bytes. */
export type RunnableJob = JobFrame & { wasm_bytes?: Uint8Array }

/** Runs one attempt of a job somewhere killable; resolves with the outcome, never rejects. */
export interface JobExecutor {
  /**
   * `host` answers the guest's database calls; absent, the guest has no database. `hooks` hear
   * when the job really starts and what progress its guest reports.
   */
  execute(
    job: RunnableJob,
    signal: AbortSignal,
    host?: HostHandler,
    hooks?: RunHooks,
  ): Promise<RunOutcome>
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
  /** A job began to run (one prefetched beside a running one starts when a thread is free). */
  | { type: 'job-started'; jobId: string; jobType: string }
  | { type: 'job-progress'; jobId: string; fraction: number; message?: string | undefined }
  | { type: 'job-finished'; jobId: string; ok: boolean; durationMs: number; error?: string }
  | { type: 'protocol-error'; code: string; message: string }
  | { type: 'disconnected'; code: number; reason: string; retryInMs?: number }
