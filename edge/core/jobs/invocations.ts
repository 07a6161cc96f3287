/**
 * Function invocations: work items like jobs, but in memory only (a request waits for them) and
 * ahead of every job in the queue. They travel to volunteers as `job` frames in function mode and
 * come back as ordinary results; the caller gets an outcome or an HTTP-shaped failure.
 */
import { canRun } from '../../../shared/protocol/capabilities'
import type { JobError, Runtime } from '../../../shared/protocol/job'
import type { JsonObject, JsonValue } from '../../../shared/protocol/json'
import type { JobErrorFrame, JobFrame, ResultFrame } from '../../../shared/protocol/frames'
import type { DbAccess } from '../kv/db-access'
import type { VolunteerSession } from '../volunteers/volunteer-session'
import type { Dispatcher } from './dispatcher'
import type { Executor } from './executor-policy'
import type { PendingEntry, PendingIndex } from './pending-index'

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
}

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
  session?: VolunteerSession
  /** Summoned (nobody here could run it): when to stop waiting for a volunteer to arrive. */
  summonedUntil?: number
}

export const INVOCATION_PREFIX = 'inv-'

/**
 * How long a summoned call waits for a volunteer. Moving an idle one from another room (the
 * room's report, the balancer's release, the volunteer's reconnect after 125-250 ms of backoff
 * and its hello) takes well under a second when one exists; five seconds leaves room for a busy
 * host, yet answers a caller when none exists long before an HTTP client or proxy gives up, with
 * the 503 and Retry-After Node gives at once.
 */
export const SUMMON_WAIT_MS = 5_000

export class InvocationTable {
  private readonly active = new Map<string, Invocation>()
  /** Invocations sort before every job (jobs' seq is positive), oldest first among themselves. */
  private nextSeq = -Number.MAX_SAFE_INTEGER

  constructor(
    private readonly pending: PendingIndex,
    private readonly dispatcher: Dispatcher,
    private readonly sessions: () => Iterable<VolunteerSession>,
    private readonly graceMs: number,
    /**
     * Asks the host to bring a volunteer here (a sharded host moves one from another room); true
     * when one may come, and the invocation then waits for it up to SUMMON_WAIT_MS.
     */
    private readonly summon: () => boolean = () => false,
    /**
     * A worker let a call's deadline pass without answering: it is held back like one that sits
     * on a job (the call itself is not re-run: its time is up, and it may have had effects).
     */
    private readonly missed: (session: VolunteerSession, now: number) => void = () => {},
  ) {}

  owns(id: string): boolean {
    return id.startsWith(INVOCATION_PREFIX)
  }

  get size(): number {
    return this.active.size
  }

  invoke(spec: InvocationSpec, now = Date.now()): Promise<InvokeOutcome> {
    const summoned = !this.anyoneCanRun(spec)
    if (summoned && !this.summon()) return Promise.resolve(noWorker(spec))
    return new Promise((resolve) => {
      const id = `${INVOCATION_PREFIX}${crypto.randomUUID()}`
      const invocation: Invocation = {
        ...spec,
        id,
        resolve,
        deadline: now + spec.timeout_ms + this.graceMs,
        ...(summoned && { summonedUntil: now + SUMMON_WAIT_MS }),
      }
      this.active.set(id, invocation)
      const entry: PendingEntry = {
        id,
        seq: this.nextSeq++,
        runtime: spec.runtime,
        namespace: spec.namespace,
        queuedAt: now,
        executor: spec.executor,
      }
      this.pending.add(entry)
      this.dispatcher.offer(entry)
    })
  }

  start(entry: PendingEntry, session: VolunteerSession, now = Date.now()): boolean {
    this.pending.remove(entry.id)
    const invocation = this.active.get(entry.id)
    if (!invocation) return false
    invocation.session = session
    invocation.deadline = now + session.queueWait(now) + invocation.timeout_ms + this.graceMs
    session.running.set(invocation.id, 1)
    session.deadlines.set(invocation.id, invocation.deadline)
    session.own(invocation.id, invocation.namespace, invocation.untrusted_db)
    const frame: JobFrame = {
      type: 'job',
      job_id: invocation.id,
      attempt: 1,
      job_type: invocation.runtime,
      namespace: invocation.namespace,
      code: invocation.code,
      input_data: session.trusted ? invocation.request : withoutCredentials(invocation.request),
      timeout_ms: invocation.timeout_ms,
      mode: 'function',
      ...(invocation.wasm_cid && { wasm_cid: invocation.wasm_cid, args: [], env: {} }),
    }
    if (session.send(frame)) return true
    session.drop(invocation.id)
    this.finish(
      invocation,
      failure(502, 'WORKER_LOST', 'WORKER_CRASHED', 'the worker chosen for it went away'),
    )
    return false
  }

  report(session: VolunteerSession, frame: ResultFrame | JobErrorFrame): boolean {
    const invocation = this.active.get(frame.job_id)
    if (
      !invocation ||
      invocation.session !== session ||
      !session.holds(frame.job_id, frame.attempt)
    )
      return false
    session.drop(frame.job_id)
    if (frame.type === 'result') {
      session.completed++
      this.finish(invocation, { ok: true, result: frame.result, output: frame.output })
    } else {
      session.failed++
      const timeout = frame.error.code === 'TIMEOUT'
      const status = timeout ? 504 : 502
      this.finish(invocation, {
        ...failure(
          status,
          timeout ? 'FUNCTION_TIMEOUT' : 'FUNCTION_ERROR',
          frame.error.code,
          frame.error.message,
        ),
        error: frame.error,
        output: frame.output ?? '',
      })
    }
    this.dispatcher.refresh(session)
    return true
  }

  /** The worker left: what it was running fails (a function may have had effects; it is not re-run). */
  release(session: VolunteerSession): void {
    for (const invocation of this.active.values()) {
      if (invocation.session !== session) continue
      this.finish(
        invocation,
        failure(502, 'WORKER_LOST', 'WORKER_CRASHED', 'the worker running it disconnected'),
      )
    }
  }

  expire(now: number): void {
    for (const invocation of this.active.values()) {
      // Summoned, and no volunteer came that took it: answered as if none had been asked for.
      const summoned = invocation.summonedUntil
      if (!invocation.session && summoned !== undefined && summoned <= now) {
        this.pending.remove(invocation.id)
        this.finish(invocation, noWorker(invocation))
        continue
      }
      if (invocation.deadline > now) continue
      const session = invocation.session
      if (session?.holds(invocation.id, 1)) {
        session.drop(invocation.id)
        session.send({ type: 'cancel', job_id: invocation.id, attempt: 1, reason: 'timeout' })
        this.missed(session, now)
        this.dispatcher.refresh(session)
      }
      this.pending.remove(invocation.id)
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

  private finish(invocation: Invocation, outcome: InvokeOutcome): void {
    if (!this.active.delete(invocation.id)) return
    invocation.resolve(outcome)
  }

  private anyoneCanRun(spec: InvocationSpec): boolean {
    for (const session of this.sessions()) {
      if (
        session.state === 'active' &&
        session.capabilities &&
        (spec.executor !== 'trusted' || session.trusted) &&
        canRun(session.capabilities, spec.runtime, spec.namespace)
      )
        return true
    }
    return false
  }
}

function noWorker(spec: InvocationSpec): Extract<InvokeOutcome, { ok: false }> {
  return failure(
    503,
    'NO_WORKER',
    'RUNTIME_UNAVAILABLE',
    `no connected worker can run ${spec.runtime} functions for '${spec.namespace}' right now${spec.executor === 'trusted' ? ' (this function needs a trusted one)' : ''}`,
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
