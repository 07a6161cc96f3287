/**
 * One connected volunteer: what it can run, what it holds, and how it is behaving. It is a site of
 * the volunteer pool (see placement/placement.ts): the scheduler's attempts it runs are kept here.
 */
import { canRun, type Capabilities } from '../../../shared/protocol/capabilities'
import type { AgentInfo, OrchestratorFrame, PeerInfo } from '../../../shared/protocol/frames'
import { encodeFrame, HEARTBEAT_ACK_FRAME } from '../../../shared/protocol/frames'
import { FULL_DB, type DbAccess } from '../kv/db-access'
import type { MessageRate } from '../limits/message-rate'
import type { Attempt, Site } from '../placement/placement'
import type { WorkSpec } from '../placement/work'
import type { ExecutorIdentity } from './executor-identity'
import { unfit } from './native-fit'

/** The host's side of a socket: Node's `ws`, or a Durable Object's hibernatable WebSocket. */
export interface VolunteerLink {
  send(text: string): void
  close(code: number, reason: string): void
  /**
   * A trusted in-process link (internal workers, edge/node/internal-links.ts) takes frames as
   * objects: the session then sends through this and never encodes them to text.
   */
  sendFrame?(frame: OrchestratorFrame): void
}

export type SessionState = 'greeting' | 'active' | 'draining' | 'closed'

/** What a host keeps with a socket that outlives this process (a hibernatable WebSocket). */
export interface SessionSnapshot {
  id: string
  state: Exclude<SessionState, 'closed'>
  connectedAt: number
  capabilities?: Capabilities
  agent?: AgentInfo
  peer?: PeerInfo
  /** The client address it connected from, when the host knows it. */
  address?: string
  identity?: ExecutorIdentity
}

/** What a job's guest may reach from this volunteer: its namespace, and which of its keys. */
export interface JobScope {
  jobId: string
  namespace: string
  db: DbAccess
}

/** Before its hello a session is nobody: untrusted, no runner, no namespace. */
const NOBODY: ExecutorIdentity = {
  kind: 'anonymous',
  trusted: false,
  runner: false,
  namespaces: [],
}

const HEARTBEAT_ACK: OrchestratorFrame = { type: 'heartbeat_ack' }

/** Jobs a session remembers after letting them go, to tell late reports from made-up ones. */
const RECENT_JOBS = 32

export class VolunteerSession implements Site {
  state: SessionState = 'greeting'
  capabilities: Capabilities | undefined
  agent: AgentInfo | undefined
  /** Runners: their lasting id, whether they run native executables, and their machine. */
  peer: PeerInfo | undefined
  /** job id → the attempt this volunteer is running (its number, deadline, namespace, ...). */
  readonly running = new Map<string, Attempt>()
  /** Who it proved to be at hello (see executor-identity.ts). */
  identity: ExecutorIdentity = NOBODY
  /** A credential offered when the socket opened (`?token=`, Bearer), read at hello. */
  offeredToken: string | undefined
  /** Its hello is being checked (a token verified): it is not welcome yet. */
  helloPending = false
  lastSeen: number
  badFrames = 0
  /** Deadlines of jobs it held that passed with no report from it, since its last report. */
  missedDeadlines = 0
  /** The client address it connected from, when the host knows it. */
  address: string | undefined
  /**
   * The key its address counts under for back-off and reputation (see limits/client-address.ts);
   * undefined when addresses do not count for it (loopback, unless `--limit-loopback`).
   */
  addressKey: string | undefined
  /** Deadline incidents not yet forgiven (see deadline-backoff.ts). */
  strikes = 0
  /** While set, it gets no new work (it missed a deadline); the scheduler clears it. */
  heldUntil: number | undefined
  /** Its frames-per-second budget, when the hub limits it. */
  messageRate: MessageRate | undefined
  completed = 0
  failed = 0
  /** The last jobs it let go of (at most RECENT_JOBS), allocated on its first. */
  private recent: string[] | undefined

  constructor(
    readonly id: string,
    private readonly link: VolunteerLink,
    readonly connectedAt: number,
  ) {
    this.lastSeen = connectedAt
  }

  snapshot(): SessionSnapshot {
    return {
      id: this.id,
      state: this.state === 'closed' ? 'draining' : this.state,
      connectedAt: this.connectedAt,
      ...(this.capabilities && { capabilities: this.capabilities }),
      ...(this.agent && { agent: this.agent }),
      ...(this.peer && { peer: this.peer }),
      ...(this.address !== undefined && { address: this.address }),
      // Its token's namespaces already narrowed `capabilities`; attachments are small (2 KiB).
      ...(this.state !== 'greeting' && { identity: withoutNamespaces(this.identity) }),
    }
  }

  /** Trusted executors take jobs that require one, and reach the whole namespace database. */
  get trusted(): boolean {
    return this.identity.trusted
  }

  /**
   * May be sent work that declares secrets: its credential allows it (see executor-identity.ts),
   * and, in case a trusted credential ended up in a tab, its hello does not say it is a browser.
   */
  get secrets(): boolean {
    return this.identity.secrets === true && this.agent?.kind !== 'browser'
  }

  /**
   * Who it is for distinctness (no two copies of a job on one volunteer): a runner's lasting peer
   * id (kept in its data directory, so a reconnecting runner is still itself), else this
   * connection's id.
   */
  get key(): string {
    return this.peer ? `peer:${this.peer.id}` : this.id
  }

  /**
   * Who it is for reputation: its peer id, else its address's key where addresses count (a liar
   * that reconnects from the same address is still a liar; honest volunteers behind its NAT share
   * its standing), else this connection.
   */
  get standing(): string {
    if (this.peer) return `peer:${this.peer.id}`
    if (this.addressKey !== undefined) return `addr:${this.addressKey}`
    return this.id
  }

  /** What its guest may reach while it runs this attempt of a job: namespace, and which keys. */
  scope(jobId: string, attempt: number): JobScope | undefined {
    const held = this.running.get(jobId)
    if (held?.attempt !== attempt) return undefined
    return { jobId, namespace: held.namespace, db: this.trusted ? FULL_DB : held.untrustedDb }
  }

  /** Jobs it can take right now: its concurrency plus what it may queue; none while it is held. */
  get freeSlots(): number {
    if (this.state !== 'active' || !this.capabilities || this.heldUntil !== undefined) return 0
    const { concurrency, prefetch = 0 } = this.capabilities
    return Math.max(0, concurrency + prefetch - this.running.size)
  }

  /** As a site: its free slots. */
  get room(): number {
    return this.freeSlots
  }

  fits(work: WorkSpec): boolean {
    if (work.secrets && !this.secrets) return false
    if (work.native)
      return unfit({ namespace: work.namespace, native: work.native }, this) === undefined
    return (
      this.capabilities !== undefined &&
      (work.executor !== 'trusted' || this.trusted) &&
      canRun(this.capabilities, work.runtime, work.namespace)
    )
  }

  has(jobId: string): boolean {
    return this.running.has(jobId)
  }

  /**
   * How long a job sent now may wait in this volunteer's queue before it starts: nothing while a
   * slot is free, else until the latest deadline among the jobs it holds.
   */
  queueWait(now: number): number {
    if (!this.capabilities || this.running.size < this.capabilities.concurrency) return 0
    let latest = now
    for (const held of this.running.values()) latest = Math.max(latest, held.deadline)
    return latest - now
  }

  /** Forgets a job it no longer holds. */
  drop(jobId: string): void {
    this.running.delete(jobId)
    const recent = (this.recent ??= [])
    recent.push(jobId)
    if (recent.length > RECENT_JOBS) recent.shift()
  }

  /** Whether it held this job lately: a report about it is late (it raced a cancel), not made up. */
  heldLately(jobId: string): boolean {
    return this.running.has(jobId) || (this.recent?.includes(jobId) ?? false)
  }

  holds(jobId: string, attempt: number): boolean {
    return this.running.get(jobId)?.attempt === attempt
  }

  /** Sends a frame; false when the socket is already gone. */
  send(frame: OrchestratorFrame): boolean {
    if (!this.link.sendFrame) return this.sendText(encodeFrame(frame))
    if (this.state === 'closed') return false
    try {
      this.link.sendFrame(frame)
      return true
    } catch {
      return false
    }
  }

  /** Answers a heartbeat: a fixed string on a socket, no encoding at all. */
  ackHeartbeat(): void {
    if (this.link.sendFrame) this.send(HEARTBEAT_ACK)
    else this.sendText(HEARTBEAT_ACK_FRAME)
  }

  sendText(text: string): boolean {
    if (this.state === 'closed') return false
    try {
      this.link.send(text)
      return true
    } catch {
      return false
    }
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return
    try {
      this.link.close(code, reason)
    } catch {
      // Already closing; the host reports the close either way.
    }
  }
}

function withoutNamespaces(identity: ExecutorIdentity): ExecutorIdentity {
  const { namespaces: _narrowed, ...rest } = identity
  return rest
}
