/**
 * Another orchestrator as one site of the peer placement: it takes what it announced it runs (and
 * what this orchestrator lets go to peers), up to twice its slots in flight, so that its own queue
 * stays fed while answers travel back.
 */
import type { Capabilities } from '../../../shared/protocol/capabilities'
import type { Announcement } from '../../../shared/protocol/federation'
import { canExecute, type SystemCapabilities } from '../../../shared/protocol/system-capabilities'
import type { Runtime } from '../../../shared/protocol/job'
import type { Site } from '../placement/placement'
import type { WorkSpec } from '../placement/work'
import { isForwarded } from './forwarded-namespace'

/** Attempts on one peer at once: each is a stream, and a connection carries at most 256. */
const MAX_IN_FLIGHT = 200
/**
 * Attempts per announced slot: answers take a round trip to come back, so a peer fed only one
 * per slot idles between them (bench federation, two processes: 2 a slot 0.38×, 8 a slot 0.46–0.51×
 * of local throughput).
 */
const IN_FLIGHT_PER_SLOT = 8

/** How this orchestrator decides what may go to peers at all (see PeerPlacement). */
export interface ForwardRules {
  /** Whether sandboxed work of this runtime may go now. */
  forwardable(runtime: Runtime): boolean
  /** Whether a site here could run this work (a native run that fits a runner here stays). */
  fitsHere(work: WorkSpec): boolean
}

export class PeerSite implements Site {
  readonly id: string
  readonly key: string
  /** `orch:` names the kind: its reputation is kept in SQL across restarts (see Reputation). */
  readonly standing: string
  /** Work that requires a trusted executor stays here: another orchestrator's volunteers are not ours to vouch for. */
  readonly trusted = false
  readonly remote = true
  /** What it last said of itself; nothing is sent before the first. */
  announcement: Announcement | undefined
  /** Whether it takes our work, and we let ours go to it (both allow lists). */
  accepts = false
  /** The attempts it runs (or queues) for us now: job id → the job's timeout, in ms. */
  readonly running = new Map<string, number>()
  /** It refused or failed us lately: no work until then. */
  heldUntil = 0

  constructor(
    readonly peer: string,
    private readonly rules: ForwardRules,
    private readonly clock: () => number = Date.now,
  ) {
    this.id = `orch:${peer}`
    this.key = this.id
    this.standing = this.id
  }

  /** The runtimes it would take from us now; undefined until it announced any. */
  get capabilities(): Capabilities | undefined {
    const a = this.announcement
    if (!a || !this.accepts || (a.runtimes.length === 0 && a.native.length === 0)) return undefined
    const runtimes = a.runtimes.filter((r) => r !== 'native' && this.rules.forwardable(r))
    if (a.native.length > 0) runtimes.push('native')
    return { runtimes, concurrency: Math.max(1, a.slots) }
  }

  get room(): number {
    const a = this.announcement
    if (!a || !this.accepts || this.heldUntil > this.clock()) return 0
    const slots = a.slots + a.native.length
    return Math.max(0, Math.min(IN_FLIGHT_PER_SLOT * slots, MAX_IN_FLIGHT) - this.running.size)
  }

  fits(work: WorkSpec): boolean {
    if (work.executor === 'trusted' || work.secrets || isForwarded(work.namespace)) return false
    if (work.native) return this.fitsNative(work)
    return this.capabilities?.runtimes.includes(work.runtime) ?? false
  }

  /** An uploaded service's run that no runner here fits, and one of its runners does. */
  private fitsNative(work: WorkSpec): boolean {
    const needs = work.native
    if (!needs?.portable || needs.peerId !== null || !this.accepts) return false
    const machines = this.announcement?.native ?? []
    if (!machines.some((m) => canExecute(systemOf(m), needs.requirements).ok)) return false
    return !this.rules.fitsHere(work)
  }

  has(id: string): boolean {
    return this.running.has(id)
  }

  /**
   * How long work sent now may wait behind ours already there before it starts: we send up to
   * eight per slot (so its volunteers never idle while answers travel), and the later ones queue
   * at the peer; each round ahead may take as long as the longest timeout among them.
   */
  queueWait(): number {
    const slots = Math.max(
      1,
      (this.announcement?.slots ?? 0) + (this.announcement?.native.length ?? 0),
    )
    const ahead = this.running.size - slots + 1
    if (ahead <= 0) return 0
    return Math.ceil(ahead / slots) * Math.max(0, ...this.running.values())
  }

  /** How it ranks among peers for new work: more idle volunteers, then less load. */
  get score(): number {
    const a = this.announcement
    if (!a) return -Infinity
    return a.volunteers.idle - this.running.size / Math.max(1, a.slots) - a.load
  }
}

/** A peer's runner as announced, as much of a machine as `canExecute` reads. */
function systemOf(machine: Announcement['native'][number]): SystemCapabilities {
  const cores = Math.max(1, machine.cpu_cores)
  return {
    platform: machine.platform,
    architecture: machine.architecture,
    kernel_version: '',
    cpu_model: '',
    cpu_cores: cores,
    cpu_threads: cores,
    total_memory_mb: machine.memory_mb,
    available_memory_mb: machine.memory_mb,
    total_disk_mb: machine.disk_mb,
    available_disk_mb: machine.disk_mb,
    gpus: machine.gpus.map((gpu, index) => ({ index, name: '', ...gpu })),
    has_docker: false,
    has_python: false,
  }
}
