/**
 * Matches free volunteer slots with pending jobs. Invariant: no volunteer with a free slot is
 * filed while a pending job it can run exists, so a new job can go to any free slot that fits and
 * a freed slot takes the oldest job it can run. Jobs nobody can run never block others. Jobs that
 * require a trusted executor are a lane of their own: only trusted volunteers are filed there.
 */
import type { Runtime } from '../../../shared/protocol/job'
import type { VolunteerSession } from '../volunteers/volunteer-session'
import { laneKey, trustedOnly, type PendingEntry, type PendingIndex } from './pending-index'

/** Starts a pending job on a volunteer; false when it could not (the job is no longer pending). */
export type StartJob = (entry: PendingEntry, session: VolunteerSession) => boolean

export class Dispatcher {
  /** Volunteers with free slots and no namespace whitelist, by lane (runtime, trusted or not). */
  private readonly open = new Map<string, Set<VolunteerSession>>()
  /** Volunteers with free slots and a whitelist, by lane + namespace. */
  private readonly listed = new Map<string, Set<VolunteerSession>>()

  constructor(
    private readonly pending: PendingIndex,
    private readonly start: StartJob,
    /** Fills what sandboxed jobs left free with work queued elsewhere (native jobs). */
    private readonly fillMore?: (session: VolunteerSession) => void,
  ) {}

  /** Call after a volunteer's free slots or state changed: fills them, then files what is left. */
  refresh(session: VolunteerSession): void {
    this.unfile(session)
    this.fill(session)
    if (session.freeSlots > 0) this.fillMore?.(session)
    if (session.freeSlots > 0) this.file(session)
  }

  /** Call when a volunteer leaves or stops taking jobs. */
  remove(session: VolunteerSession): void {
    this.unfile(session)
  }

  /** Call when a job becomes pending: it starts at once if a free slot fits it. */
  offer(entry: PendingEntry): void {
    const session = this.freeSlotFor(entry.runtime, entry.namespace, trustedOnly(entry))
    if (!session) return
    this.start(entry, session)
    if (session.freeSlots === 0) this.unfile(session)
  }

  private fill(session: VolunteerSession): void {
    while (session.freeSlots > 0) {
      const entry = this.oldestFor(session)
      if (!entry) return
      this.start(entry, session)
    }
  }

  private oldestFor(session: VolunteerSession): PendingEntry | undefined {
    const caps = session.capabilities
    return caps && this.pending.oldestFor(caps, session.trusted)
  }

  private freeSlotFor(
    runtime: Runtime,
    namespace: string,
    trusted: boolean,
  ): VolunteerSession | undefined {
    const lane = laneKey(runtime, trusted)
    return first(this.listed.get(key(lane, namespace))) ?? first(this.open.get(lane))
  }

  private file(session: VolunteerSession): void {
    for (const set of this.setsOf(session, true)) set.add(session)
  }

  private unfile(session: VolunteerSession): void {
    for (const set of this.setsOf(session, false)) set.delete(session)
  }

  private setsOf(session: VolunteerSession, create: boolean): Set<VolunteerSession>[] {
    const caps = session.capabilities
    if (!caps) return []
    const sets: (Set<VolunteerSession> | undefined)[] = []
    const lanes = session.trusted ? [false, true] : [false]
    for (const runtime of caps.runtimes) {
      for (const trusted of lanes) {
        const lane = laneKey(runtime, trusted)
        if (caps.namespaces?.length) {
          for (const ns of caps.namespaces) sets.push(setIn(this.listed, key(lane, ns), create))
        } else {
          sets.push(setIn(this.open, lane, create))
        }
      }
    }
    return sets.filter((s): s is Set<VolunteerSession> => s !== undefined)
  }
}

function setIn<K>(
  map: Map<K, Set<VolunteerSession>>,
  k: K,
  create: boolean,
): Set<VolunteerSession> | undefined {
  let set = map.get(k)
  if (!set && create) map.set(k, (set = new Set()))
  return set
}

function first<T>(set: Set<T> | undefined): T | undefined {
  if (!set) return undefined
  for (const item of set) return item
  return undefined
}

const key = (lane: string, namespace: string) => `${lane}\u0001${namespace}`
