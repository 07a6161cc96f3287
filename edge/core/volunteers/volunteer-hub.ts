/**
 * The `/ws/volunteer` protocol on the orchestrator's side, independent of the socket library:
 * hosts call `connect` when a socket opens, then `receive` and `disconnect`.
 */
import type { ProtocolErrorCode } from '../../../shared/protocol/errors'
import {
  HEARTBEAT_FRAME,
  parseVolunteerFrame,
  type ServiceRegisteredFrame,
  type VolunteerFrame,
} from '../../../shared/protocol/frames'
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import { MAX_RESULT_CHARS } from '../../../shared/runtime/limits'
import { addressKey, isLoopback } from '../limits/client-address'
import type { LimitSettings } from '../limits/limit-settings'
import { MessageRate } from '../limits/message-rate'
import type { DeadlineBackoff } from './deadline-backoff'
import { CLOSE } from './close-codes'
import type { Identified } from './executor-identity'
import { Handshake } from './handshake'
import { invalidReport } from './invalid-report'
import { jobRef, type JobRef } from './job-ref'
import type { VolunteerPool } from './volunteer-pool'
import {
  VolunteerSession,
  type JobScope,
  type SessionSnapshot,
  type VolunteerLink,
} from './volunteer-session'

export interface HubOptions {
  heartbeatIntervalMs: number
  /** Heartbeat intervals a volunteer may miss before it is dropped. */
  heartbeatMisses: number
  helloTimeoutMs: number
  maxFrameBytes: number
  /** Malformed frames tolerated before the socket is closed. */
  badFrameLimit: number
  /**
   * Messages a second one socket may send, heartbeats included (unset or 0: no limit); and
   * whether loopback addresses count as addresses (back-off and reputation by address).
   */
  limits?: Pick<LimitSettings, 'volunteerMessageRate' | 'volunteerMessageBurst'> &
    Partial<Pick<LimitSettings, 'limitLoopback'>>
}

/** What the host knows of a socket when it opens. */
export interface ConnectInfo {
  /** The client's address (Node: the socket's; Workers: CF-Connecting-IP). */
  address?: string
  /** A credential offered with the upgrade (`?token=`, a Bearer header), read at hello. */
  token?: string
}

/** What the hub tells the runner directory (see services/runner-directory.ts). */
export interface RunnerEvents {
  registered(session: VolunteerSession, frame: ServiceRegisteredFrame): boolean
  disconnected(session: VolunteerSession): void
}

/** Deadlines in a row a volunteer may let pass without reporting before it is dropped. */
const MISSED_DEADLINE_LIMIT = 2

export class VolunteerHub {
  private readonly sessions = new Set<VolunteerSession>()
  private readonly handshake: Handshake

  constructor(
    /** The placement its volunteers make up: it hears their hellos, reports and departures. */
    private readonly pool: VolunteerPool,
    private readonly options: HubOptions,
    /** Answers guests' host calls within a job's scope (the key-value database). */
    private readonly answer: (
      scope: JobScope,
      call: HostCall,
    ) => HostReply | Promise<HostReply> = () => ({
      ok: false,
      error: 'not available',
    }),
    private readonly runners?: RunnerEvents,
    /** Who presents a credential (see executor-identity.ts); without it everyone is trusted. */
    identify: (token: string | undefined) => Identified | Promise<Identified> = () => ({
      ok: true,
      identity: { kind: 'anonymous', trusted: true, runner: true },
    }),
  ) {
    this.handshake = new Handshake({
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      maxFrameBytes: options.maxFrameBytes,
      identify,
      admit: (session) => pool.admit(session),
      reject: (session, code, message) => this.reject(session, code, message),
    })
  }

  get connected(): Iterable<VolunteerSession> {
    return this.sessions
  }

  get size(): number {
    return this.sessions.size
  }

  /** Strikes and holds of volunteers that let deadlines pass (see deadline-backoff.ts). */
  get backoff(): DeadlineBackoff {
    return this.pool.backoff
  }

  connect(link: VolunteerLink, now = Date.now(), from: ConnectInfo = {}): VolunteerSession {
    const session = new VolunteerSession(crypto.randomUUID(), link, now)
    session.offeredToken = from.token
    session.messageRate = this.messageRate(now)
    this.noteAddress(session, from.address)
    this.sessions.add(session)
    return session
  }

  /**
   * Brings back a volunteer whose socket outlived the orchestrator object (Durable Object
   * hibernation). Call `scheduler.resume` with them once every socket is restored.
   */
  restore(link: VolunteerLink, snapshot: SessionSnapshot, now = Date.now()): VolunteerSession {
    const session = new VolunteerSession(snapshot.id, link, snapshot.connectedAt)
    session.state = snapshot.state
    session.capabilities = snapshot.capabilities
    session.agent = snapshot.agent
    session.peer = snapshot.peer
    if (snapshot.identity) session.identity = snapshot.identity
    session.lastSeen = now
    session.messageRate = this.messageRate(now)
    this.noteAddress(session, snapshot.address)
    this.sessions.add(session)
    return session
  }

  /**
   * Handles one frame. A hello whose credential must be verified (an issued token) finishes
   * later: hosts that keep a copy of the session (Durable Objects) wait for the promise.
   */
  receive(session: VolunteerSession, text: string, now = Date.now()): void | Promise<void> {
    if (session.state === 'closed') return
    if (session.messageRate && !this.withinRate(session, session.messageRate, now)) return
    // The hot path: heartbeats are fixed strings, answered without parsing.
    if (text === HEARTBEAT_FRAME) {
      session.lastSeen = now
      session.ackHeartbeat()
      return
    }
    if (text.length > this.options.maxFrameBytes)
      return this.reject(session, 'BAD_FRAME', `frame exceeds ${this.options.maxFrameBytes} bytes`)
    const parsed = parseVolunteerFrame(text)
    if (!parsed.ok) {
      this.failHeld(session, jobRef(text), parsed.error, now)
      return this.reject(session, 'BAD_FRAME', parsed.error)
    }
    // Every runtime fails a job whose result is larger; a volunteer that sends one anyway is not
    // believed, and the job runs elsewhere (the frame text bounds the result's JSON, so most skip).
    if (
      parsed.frame.type === 'result' &&
      text.length > MAX_RESULT_CHARS &&
      JSON.stringify(parsed.frame.result).length > MAX_RESULT_CHARS
    ) {
      const why = `the result is over ${MAX_RESULT_CHARS} characters of JSON`
      this.failHeld(session, parsed.frame, why, now)
      return this.reject(session, 'BAD_FRAME', why)
    }
    session.lastSeen = now
    return this.handle(session, parsed.frame, now)
  }

  /**
   * Handles one frame from a trusted in-process link (internal workers over their child's IPC
   * channel, edge/node/internal-links.ts): our own agent made it, so it is neither text nor
   * schema-checked. Never call this with what arrived on a socket: that goes through `receive`.
   */
  receiveFrame(
    session: VolunteerSession,
    frame: VolunteerFrame,
    now = Date.now(),
  ): void | Promise<void> {
    if (session.state === 'closed') return
    if (session.messageRate && !this.withinRate(session, session.messageRate, now)) return
    session.lastSeen = now
    return this.handle(session, frame, now)
  }

  disconnect(session: VolunteerSession, now = Date.now()): void {
    if (session.state === 'closed') return
    session.state = 'closed'
    this.sessions.delete(session)
    this.pool.release(session, now)
    if (session.peer) this.runners?.disconnected(session)
  }

  /** Drops volunteers that said nothing for too long, or never said hello. */
  sweep(now = Date.now()): void {
    const silentFor = this.options.heartbeatIntervalMs * this.options.heartbeatMisses
    for (const session of Array.from(this.sessions)) {
      if (session.state === 'greeting' && now - session.connectedAt > this.options.helloTimeoutMs) {
        this.drop(
          session,
          'HELLO_TIMEOUT',
          `no hello within ${this.options.helloTimeoutMs} ms`,
          now,
        )
      } else if (session.missedDeadlines >= MISSED_DEADLINE_LIMIT) {
        // Heartbeats but no reports: a volunteer that swallows jobs. Its other jobs run elsewhere.
        this.drop(
          session,
          'DEADLINE_MISSED',
          `${session.missedDeadlines} jobs passed their deadlines without a report`,
          now,
        )
      } else if (now - session.lastSeen > silentFor) {
        this.drop(
          session,
          'HEARTBEAT_TIMEOUT',
          `no heartbeat for ${now - session.lastSeen} ms`,
          now,
        )
      }
    }
  }

  /** A token was revoked: whoever connected with it is disconnected (what it held runs elsewhere). */
  revoke(tokenId: string, now = Date.now()): void {
    for (const session of Array.from(this.sessions))
      if (session.identity.tokenId === tokenId)
        this.drop(
          session,
          'UNAUTHORIZED',
          'the token this volunteer connected with was revoked',
          now,
        )
  }

  /** Asks every volunteer to stop and closes their sockets (orchestrator shutdown). */
  closeAll(reason: string): void {
    for (const session of Array.from(this.sessions)) {
      session.send({ type: 'drain', reason })
      session.close(CLOSE.goingAway, reason)
      this.disconnect(session)
    }
  }

  /**
   * Where a volunteer's standing outlives its connection: its address's key, except for loopback
   * (internal workers, local `--worker`s and whatever else runs on this machine share it) unless
   * `--limit-loopback` says loopback clients count like remote ones.
   */
  private noteAddress(session: VolunteerSession, address: string | undefined): void {
    if (!address) return
    session.address = address
    if (this.options.limits?.limitLoopback || !isLoopback(address))
      session.addressKey = addressKey(address)
  }

  private messageRate(now: number): MessageRate | undefined {
    const limits = this.options.limits
    return limits
      ? MessageRate.of(
          { rate: limits.volunteerMessageRate, burst: limits.volunteerMessageBurst },
          now,
        )
      : undefined
  }

  /** False when the frame must be dropped: the volunteer is warned once, then disconnected. */
  private withinRate(session: VolunteerSession, rate: MessageRate, now: number): boolean {
    const verdict = rate.check(now)
    if (verdict === 'ok') return true
    if (verdict === 'warn') {
      session.send({
        type: 'error',
        code: 'RATE_LIMITED',
        message: `${rate.describe()}: frames are being dropped; slow down or be disconnected`,
      })
    } else if (verdict === 'close') {
      this.drop(session, 'RATE_LIMITED', `${rate.describe()}: disconnected`, now)
    }
    return false
  }

  private handle(
    session: VolunteerSession,
    frame: VolunteerFrame,
    now: number,
  ): void | Promise<void> {
    if (frame.type === 'hello') return this.handshake.hello(session, frame)
    if (session.state === 'greeting')
      return this.reject(session, 'HELLO_REQUIRED', `send hello before '${frame.type}'`)
    switch (frame.type) {
      case 'heartbeat':
        session.ackHeartbeat()
        return
      case 'result':
      case 'error':
        if (this.pool.report(session, frame, now)) session.missedDeadlines = 0
        else this.unknownJob(session, frame.job_id)
        return
      case 'progress':
        if (
          !this.pool.progress(session, frame.job_id, frame.attempt, {
            fraction: frame.fraction,
            message: frame.message,
          })
        ) {
          this.unknownJob(session, frame.job_id)
        }
        return
      case 'host': {
        const scope = session.scope(frame.job_id, frame.attempt)
        const reply =
          scope === undefined
            ? { ok: false as const, error: `job ${frame.job_id} is not running here` }
            : this.answer(scope, frame.call)
        const send = (answer: HostReply) =>
          session.send({ type: 'host_reply', request_id: frame.request_id, reply: answer })
        // A forwarded job's calls are answered by its origin, over the mesh.
        if (reply instanceof Promise) void reply.then(send)
        else send(reply)
        return
      }
      case 'drain':
        session.state = 'draining'
        this.pool.drain(session)
        return
      case 'system':
        if (!session.peer)
          return this.reject(session, 'BAD_FRAME', 'only runners (hello with a peer) send system')
        session.peer = { ...session.peer, system: frame.system }
        // More memory or disk may fit a waiting native job now.
        this.pool.refresh(session)
        return
      case 'service_registered':
        if (!session.peer || !this.runners?.registered(session, frame))
          return this.reject(session, 'BAD_FRAME', `no registration ${frame.request_id} is pending`)
        return
    }
  }

  /**
   * A malformed report about a job the volunteer holds: do not wait for the deadline, give the job
   * to someone else now (the volunteer, not the guest, failed to say what happened).
   */
  private failHeld(session: VolunteerSession, ref: JobRef | undefined, why: string, now: number) {
    if (ref && session.holds(ref.job_id, ref.attempt))
      this.pool.report(session, invalidReport(ref, why), now)
  }

  /**
   * A report about a job this volunteer does not hold: late after a timeout or cancel (tolerated),
   * or about a job it was never given, which counts as a bad frame: forging closes the socket.
   */
  private unknownJob(session: VolunteerSession, jobId: string): void {
    if (!session.heldLately(jobId) && ++session.badFrames > this.options.badFrameLimit) {
      this.drop(
        session,
        'TOO_MANY_BAD_FRAMES',
        `closed after ${session.badFrames} bad frames, reports about jobs it was never given among them`,
      )
      return
    }
    session.send({
      type: 'error',
      code: 'UNKNOWN_JOB',
      message: `job ${jobId} is not assigned to this volunteer`,
      job_id: jobId,
    })
  }

  private reject(session: VolunteerSession, code: ProtocolErrorCode, message: string): void {
    session.badFrames++
    if (session.badFrames > this.options.badFrameLimit) {
      this.drop(
        session,
        'TOO_MANY_BAD_FRAMES',
        `closed after ${session.badFrames} malformed frames`,
      )
      return
    }
    session.send({ type: 'error', code, message })
  }

  private drop(
    session: VolunteerSession,
    code: ProtocolErrorCode,
    message: string,
    now = Date.now(),
  ): void {
    session.send({ type: 'error', code, message })
    session.close(CLOSE.policy, message.slice(0, 120))
    this.disconnect(session, now)
  }
}
