/**
 * Function invocations: work items like jobs, but in memory only (a request waits for them) and
 * ahead of every job in the queue. They travel to volunteers as `job` frames in function mode and
 * come back as ordinary results; the caller gets an outcome or an HTTP-shaped failure.
 */
import type { FunctionVersion } from '../../../shared/protocol/frames'
import type { JobError, Runtime } from '../../../shared/protocol/job'
import type { JsonObject, JsonValue } from '../../../shared/protocol/json'
import type { DbAccess } from '../kv/db-access'
import type { Attempt, LostCause, Placement, Report, Site } from '../placement/placement'
import type { Task, WorkSpec } from '../placement/work'
import type { Executor } from './executor-policy'
import { pendingEntry, type PendingEntry } from './lanes'
import type { SecretValues } from '../secrets/secret-service'

export interface InvocationSpec {
  runtime: Runtime
  namespace: string
  code: string
  wasm_cid: string | null
  timeout_ms: number
  /** `{method, path, query, headers, body}`: the handler's argument. */
  request: JsonObject
  /** `trusted` (functions' default): only a trusted volunteer may answer it. */
  executor: Executor
  /** What its `db` calls may reach when an untrusted volunteer answers it. */
  untrusted_db: DbAccess
  /** The deployed version called, so a volunteer may keep it warm (absent: always a fresh sandbox). */
  function?: FunctionVersion
  /** The values of the secrets it declares, opened for this call: only a site that may have them runs it. */
  secretValues?: SecretValues
}

/** What decides where a call may run. */
const workOf = (spec: InvocationSpec): WorkSpec => ({
  runtime: spec.runtime,
  namespace: spec.namespace,
  executor: spec.executor,
  ...(spec.secretValues && { secrets: true }),
})

/**
 * The caller's credentials for this orchestrator, and its cookies, are nobody else's business:
 * an untrusted volunteer answering a function gets the request without them.
 */
const PRIVATE_HEADERS = ['authorization', 'cookie', 'proxy-authorization']

function withoutCredentials(request: JsonObject): JsonObject {
  const headers = request.headers
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return request
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !PRIVATE_HEADERS.includes(name)),
  )
  return { ...request, headers: kept }
}

export type InvokeOutcome =
  | { ok: true; result: JsonValue; output: string }
  | { ok: false; status: 502 | 503 | 504; code: string; error: JobError; output: string }

interface Invocation extends InvocationSpec {
  id: string
  resolve: (outcome: InvokeOutcome) => void
  deadline: number
  /** Where it runs, once it started. */
  attempt?: Attempt
  /** Summoned (nobody here could run it): when to stop waiting for a volunteer to arrive. */
  summonedUntil?: number
}

const INVOCATION_PREFIX = 'inv-'

/**
 * How long a summoned call waits for the volunteer the host said is on its way. Moving an idle
 * one from another room (the balancer's release, the volunteer's reconnect after 125-250 ms of
 * backoff and its hello) took 250-400 ms here; five seconds leaves room for a busy host. A call
 * for which no volunteer exists anywhere is not summoned: it gets its 503 at once.
 */
const SUMMON_WAIT_MS = 5_000

/**
 * Asks a sharded host to bring here a volunteer that can run `work` (an idle one from another
 * room); resolves true when one is on its way, false (at once) when none exists.
 */
export type Summon = (work: WorkSpec) => Promise<boolean>

/** What the table needs of the scheduler. */
export interface InvocationDeps {
  /** Queues a call (ahead of every job) and offers it to the placements. */
  enqueue(entry: PendingEntry): void
  /** Takes a call that has not started out of the queue. */
  unqueue(entry: Pick<PendingEntry, 'id' | 'lane'>): void
  /** Whether some placement could run this work now or once it has room. */
  canRun(work: WorkSpec): boolean
  graceMs: number
  /** When none here can run a call: a volunteer on its way is waited for up to SUMMON_WAIT_MS. */
  summon?: Summon | undefined
}

export class InvocationTable {
  private readonly active = new Map<string, Invocation>()
  /** Invocations sort before every job (jobs' seq is positive), oldest first among themselves. */
  private nextSeq = -Number.MAX_SAFE_INTEGER

  constructor(private readonly deps: InvocationDeps) {}

  owns(id: string): boolean {
    return id.startsWith(INVOCATION_PREFIX)
  }

  get size(): number {
    return this.active.size
  }

  invoke(spec: InvocationSpec, now = Date.now()): Promise<InvokeOutcome> {
    if (this.deps.canRun(workOf(spec))) return this.queue(spec, now, undefined)
    const { summon } = this.deps
    if (!summon) return Promise.resolve(noWorker(spec))
    return summon(workOf(spec)).then(
      (coming) => (coming ? this.queue(spec, now, Date.now() + SUMMON_WAIT_MS) : noWorker(spec)),
      () => noWorker(spec),
    )
  }

  private queue(
    spec: InvocationSpec,
    now: number,
    summonedUntil: number | undefined,
  ): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const id = `${INVOCATION_PREFIX}${crypto.randomUUID()}`
      const invocation: Invocation = {
        ...spec,
        id,
        resolve,
        deadline: now + spec.timeout_ms + this.deps.graceMs,
        ...(summonedUntil !== undefined && { summonedUntil }),
      }
      this.active.set(id, invocation)
      const { runtime: job_type, namespace, executor } = spec
      const secrets = spec.secretValues && Object.keys(spec.secretValues)
      const call = {
        id,
        seq: this.nextSeq++,
        job_type,
        namespace,
        executor,
        redundancy: 1,
        secrets,
      }
      this.deps.enqueue(pendingEntry(call, now, 'call'))
    })
  }

  /** Sends a queued call to a site with room; false when it could not (gone, or unreachable). */
  start(entry: PendingEntry, site: Site, placement: Placement, now: number): boolean {
    const invocation = this.active.get(entry.id)
    if (!invocation) return false
    const attempt: Attempt = {
      id: invocation.id,
      attempt: 1,
      kind: 'call',
      site,
      placement,
      namespace: invocation.namespace,
      untrustedDb: invocation.untrusted_db,
      deadline: now + site.queueWait(now) + invocation.timeout_ms + this.deps.graceMs,
      queuedAt: entry.queuedAt,
      token: undefined,
      done: false,
      ...(invocation.secretValues && { secrets: invocation.secretValues }),
    }
    invocation.attempt = attempt
    invocation.deadline = attempt.deadline
    const task: Task = {
      job_type: invocation.runtime,
      namespace: invocation.namespace,
      code: invocation.code,
      input_data: site.trusted ? invocation.request : withoutCredentials(invocation.request),
      timeout_ms: invocation.timeout_ms,
      mode: 'function',
      ...(invocation.function && { function: invocation.function }),
      ...(invocation.wasm_cid && { wasm_cid: invocation.wasm_cid, args: [], env: {} }),
      ...(invocation.secretValues && { secrets: { ...invocation.secretValues } }),
    }
    // Nothing to make durable: the task goes at once (a failure to send comes back as `lost`).
    placement.run(attempt, task)
    return !attempt.done
  }

  reported(attempt: Attempt, report: Report): boolean {
    const invocation = this.own(attempt)
    if (!invocation) return false
    if (report.type === 'result') {
      this.finish(invocation, { ok: true, result: report.result, output: report.output })
    } else {
      const timeout = report.error.code === 'TIMEOUT'
      const status = timeout ? 504 : 502
      this.finish(invocation, {
        ...failure(
          status,
          timeout ? 'FUNCTION_TIMEOUT' : 'FUNCTION_ERROR',
          report.error.code,
          report.error.message,
        ),
        error: report.error,
        output: report.output ?? '',
      })
    }
    return true
  }

  /** The worker left or was never reached: the call fails (it may have had effects; not re-run). */
  lost(attempt: Attempt, cause: LostCause): void {
    const invocation = this.own(attempt)
    if (!invocation) return
    const why =
      cause === 'unreachable'
        ? 'the worker chosen for it went away'
        : 'the worker running it disconnected'
    this.finish(invocation, failure(502, 'WORKER_LOST', 'WORKER_CRASHED', why))
  }

  expire(now: number): void {
    for (const invocation of this.active.values()) {
      const attempt = invocation.attempt
      // Summoned, and no volunteer came that took it: answered as if none had been asked for.
      const summoned = invocation.summonedUntil
      if (!attempt && summoned !== undefined && summoned <= now) {
        this.deps.unqueue({ id: invocation.id, lane: 'call' })
        this.finish(invocation, noWorker(invocation))
        continue
      }
      if (invocation.deadline > now) continue
      // A worker let a call's deadline pass without answering: it is held back like one that sits
      // on a job (the call itself is not re-run: its time is up, and it may have had effects).
      if (attempt && !attempt.done) {
        attempt.done = true
        attempt.placement.cancel(attempt, 'timeout', now)
      }
      if (!attempt) this.deps.unqueue({ id: invocation.id, lane: 'call' })
      const seconds = invocation.timeout_ms / 1000
      this.finish(
        invocation,
        failure(
          504,
          'FUNCTION_TIMEOUT',
          'TIMEOUT',
          `the function did not answer within its ${seconds} s timeout`,
        ),
      )
    }
  }

  /** The call an attempt is for, while that attempt is its live one (it is then over). */
  private own(attempt: Attempt): Invocation | undefined {
    const invocation = this.active.get(attempt.id)
    if (!invocation || invocation.attempt !== attempt || attempt.done) return undefined
    attempt.done = true
    return invocation
  }

  private finish(invocation: Invocation, outcome: InvokeOutcome): void {
    if (!this.active.delete(invocation.id)) return
    invocation.resolve(outcome)
  }
}

function noWorker(spec: InvocationSpec): Extract<InvokeOutcome, { ok: false }> {
  return failure(
    503,
    'NO_WORKER',
    'RUNTIME_UNAVAILABLE',
    `no connected worker can run ${spec.runtime} functions for '${spec.namespace}' right now${needs(spec)}`,
  )
}

function failure(
  status: 502 | 503 | 504,
  code: string,
  errorCode: JobError['code'],
  message: string,
): Extract<InvokeOutcome, { ok: false }> {
  return { ok: false, status, code, error: { code: errorCode, message }, output: '' }
}

/** What kind of worker the call waited for, when not just any. */
function needs(spec: InvocationSpec): string {
  if (spec.secretValues)
    return ' (this function uses secrets: it needs an internal worker or a runner the admin trusts)'
  return spec.executor === 'trusted' ? ' (this function needs a trusted one)' : ''
}
