/**
 * Pending native jobs. Unlike sandboxed jobs, which any volunteer offering the runtime can take,
 * each native job fits only some runners: the one holding its executable (local and git
 * services), whose machine meets the service's requirements. So the queue is a short list
 * searched oldest first for a job that fits, rather than a heap per runtime.
 */
import { acceptsNamespace } from '../../../shared/protocol/capabilities'
import { canExecute, type ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { PendingEntry } from '../jobs/pending-index'
import type { VolunteerSession } from '../volunteers/volunteer-session'

export interface NativeEntry extends PendingEntry {
  /** The runner that must run it, or null for any that fits (uploaded services). */
  peerId: string | null
  requirements: ServiceRequirements
}

/** Why a runner cannot take a native job, or undefined when it can. */
export function unfit(entry: NativeEntry, session: VolunteerSession): string | undefined {
  const peer = session.peer
  if (!peer) return 'not a runner'
  // A run carries the service's environment, stdin, input files and a job token.
  if (!session.trusted) return `runner ${peer.id} is not trusted`
  if (!peer.native || !session.capabilities?.runtimes.includes('native'))
    return `runner ${peer.id} does not run native executables`
  if (entry.peerId !== null && peer.id !== entry.peerId)
    return `the service's executable is on runner ${entry.peerId}`
  if (session.capabilities && !acceptsNamespace(session.capabilities, entry.namespace))
    return `runner ${peer.id} does not take jobs from namespace '${entry.namespace}'`
  const verdict = canExecute(peer.system, entry.requirements)
  return verdict.ok ? undefined : verdict.reason
}

export class NativeQueue {
  private entries: NativeEntry[] = []

  constructor(
    private readonly sessions: () => Iterable<VolunteerSession>,
    private readonly start: (entry: NativeEntry, session: VolunteerSession) => boolean,
  ) {}

  get size(): number {
    return this.entries.length
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id)
  }

  add(entry: NativeEntry): void {
    const at = this.entries.findIndex((e) => e.seq > entry.seq)
    if (at < 0) this.entries.push(entry)
    else this.entries.splice(at, 0, entry)
  }

  remove(id: string): boolean {
    const before = this.entries.length
    this.entries = this.entries.filter((e) => e.id !== id)
    return this.entries.length < before
  }

  /** A new pending job: starts it on the first runner with a free slot that fits. */
  offer(entry: NativeEntry): void {
    for (const session of this.sessions()) {
      if (session.freeSlots > 0 && unfit(entry, session) === undefined) {
        this.start(entry, session)
        return
      }
    }
  }

  /** A runner has free slots: gives it the oldest jobs that fit it. */
  fill(session: VolunteerSession): void {
    if (!session.peer?.native) return
    while (session.freeSlots > 0) {
      const entry = this.entries.find((e) => unfit(e, session) === undefined)
      if (!entry || !this.start(entry, session)) return
    }
  }
}
