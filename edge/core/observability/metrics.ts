/**
 * What the orchestrator measures, served at `GET /metrics`. Counters are told of events by the
 * code that sees them (scheduler, KV, storage, functions, the request log, rate limiters); gauges
 * read the scheduler and the volunteer hub at scrape time. Everything is per process (per room on
 * the edge) and starts at zero, as Prometheus expects of counters after a restart.
 */
import type { JobStatus, Runtime } from '../../../shared/protocol/job'
import { Registry, type Counter, type CounterChild, type Histogram } from './registry'

export type KvOp = 'get' | 'set' | 'delete' | 'list'
export type StorageOp = 'put' | 'get' | 'delete' | 'list'
/** A stored job, or a function invocation (which shares the queue and the volunteers). */
export type DispatchKind = 'job' | 'function'

export interface VolunteerCounts {
  connected: number
  idle: number
  busy: number
  draining: number
  slots: { total: number; busy: number }
  runtimes: Partial<Record<Runtime, number>>
}

/** Where gauges read from at scrape time. */
export interface MetricSources {
  jobs(): Record<JobStatus, number>
  volunteers(): VolunteerCounts
}

/** From a millisecond to a minute: function calls take ms, jobs waiting for a volunteer take s. */
const DISPATCH_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]
/** Workflow steps run from milliseconds (a trivial job) to hours (a native build). */
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])

export class Metrics {
  readonly registry = new Registry()
  private readonly submitted: Counter
  private readonly finished: Counter
  private readonly dispatch: Histogram
  private readonly invocations: Counter
  private readonly kv: Record<KvOp, CounterChild>
  private readonly storage: Record<StorageOp, CounterChild>
  private readonly limited: Counter
  private readonly requests: Counter
  private readonly workflowRuns: Counter
  private readonly workflowSteps: Histogram

  constructor(sources: MetricSources) {
    const r = this.registry
    r.gauge(
      'zerverless_jobs',
      'Jobs in the store by state (pending, running, completed, failed, cancelled).',
      ['state'],
      (gauge) => {
        for (const [state, n] of Object.entries(sources.jobs())) gauge.labels(state).set(n)
      },
    )
    this.submitted = r.counter(
      'zerverless_jobs_submitted_total',
      'Jobs accepted since start, by runtime.',
      ['runtime'],
    )
    this.finished = r.counter(
      'zerverless_jobs_finished_total',
      'Jobs that ended since start, by runtime and final state.',
      ['runtime', 'state'],
    )
    this.dispatch = r.histogram(
      'zerverless_dispatch_latency_seconds',
      'Time from a job or function call becoming pending to its being sent to a volunteer.',
      ['kind'],
      DISPATCH_BUCKETS,
    )
    r.gauge(
      'zerverless_volunteers_connected',
      'Volunteer connections, greeting ones included.',
      [],
      (g) => g.set(sources.volunteers().connected),
    )
    r.gauge(
      'zerverless_volunteers',
      'Volunteers past their hello, by state: idle (no job), busy (running one) or draining.',
      ['state'],
      (gauge) => {
        const v = sources.volunteers()
        gauge.labels('idle').set(v.idle)
        gauge.labels('busy').set(v.busy)
        gauge.labels('draining').set(v.draining)
      },
    )
    r.gauge('zerverless_volunteer_slots', 'Job slots volunteers offer in all.', [], (g) =>
      g.set(sources.volunteers().slots.total),
    )
    r.gauge('zerverless_volunteer_slots_busy', 'Job slots running something now.', [], (g) =>
      g.set(sources.volunteers().slots.busy),
    )
    r.gauge(
      'zerverless_volunteer_runtimes',
      'Volunteers offering each runtime.',
      ['runtime'],
      (gauge) => {
        for (const [runtime, n] of Object.entries(sources.volunteers().runtimes))
          gauge.labels(runtime).set(n ?? 0)
      },
    )
    this.invocations = r.counter(
      'zerverless_function_invocations_total',
      'Calls of deployed functions, by the HTTP status they answered with.',
      ['status'],
    )
    const kv = r.counter(
      'zerverless_kv_operations_total',
      'Key-value operations from the API and from guests, by operation.',
      ['op'],
    )
    this.kv = {
      get: kv.labels('get'),
      set: kv.labels('set'),
      delete: kv.labels('delete'),
      list: kv.labels('list'),
    }
    const storage = r.counter(
      'zerverless_storage_operations_total',
      'File storage operations, by operation.',
      ['op'],
    )
    this.storage = {
      put: storage.labels('put'),
      get: storage.labels('get'),
      delete: storage.labels('delete'),
      list: storage.labels('list'),
    }
    this.limited = r.counter(
      'zerverless_rate_limited_total',
      'Requests refused by a rate limit, by scope.',
      ['scope'],
    )
    this.workflowRuns = r.counter(
      'zerverless_workflow_runs_total',
      'Workflow runs started, and ended by state (completed, failed, cancelled).',
      ['state'],
    )
    this.workflowSteps = r.histogram(
      'zerverless_workflow_step_duration_seconds',
      'Time from a workflow step starting to its end, by how it ended.',
      ['status'],
      STEP_BUCKETS,
    )
    this.requests = r.counter(
      'zerverless_http_requests_total',
      'HTTP requests answered, by method and status.',
      ['method', 'status'],
    )
  }

  /** A workflow run started (again, when retried) or ended. */
  runEnded(state: string): void {
    this.workflowRuns.labels(state).inc()
  }

  /** A workflow step ended after `seconds`. */
  stepEnded(status: string, seconds: number): void {
    this.workflowSteps.labels(status).observe(seconds)
  }

  /** A rate limit refused a request; `scope` says which limit (`ip`, `token`, …). */
  rateLimited(scope: string): void {
    this.limited.labels(scope).inc()
  }

  kvOp(op: KvOp): void {
    this.kv[op].inc()
  }

  storageOp(op: StorageOp): void {
    this.storage[op].inc()
  }

  functionInvoked(status: number): void {
    this.invocations.labels(String(status)).inc()
  }

  jobSubmitted(runtime: Runtime): void {
    this.submitted.labels(runtime).inc()
  }

  jobFinished(runtime: Runtime, state: JobStatus): void {
    this.finished.labels(runtime, state).inc()
  }

  /** A job or invocation was sent to a volunteer `waitMs` after it became pending. */
  dispatched(kind: DispatchKind, waitMs: number): void {
    this.dispatch.labels(kind).observe(Math.max(0, waitMs) / 1000)
  }

  request(method: string, status: number): void {
    this.requests.labels(HTTP_METHODS.has(method) ? method : 'OTHER', String(status)).inc()
  }

  render(): string {
    return this.registry.render()
  }
}
