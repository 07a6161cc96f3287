/**
 * Matches free volunteer slots with pending jobs. Invariant: no volunteer with a free slot is
 * filed while a pending job it can run exists, so a new job can go to any free slot that fits and
 * a freed slot takes the oldest job it can run. Jobs nobody can run never block others.
 */
import type { Runtime } from '../../../shared/job'
import type { VolunteerSession } from '../volunteers/volunteer-session'
import type { PendingEntry, PendingIndex } from './pending-index'

/** Starts a pending job on a volunteer; false when it could not (the job is no longer pending). */
export type StartJob = (entry: PendingEntry, session: VolunteerSession) => boolean

export class Dispatcher {
  /** Volunteers with free slots and no namespace whitelist, by runtime. */
  private readonly open = new Map<Runtime, Set<VolunteerSession>>()
  /** Volunteers with free slots and a whitelist, by runtime + namespace. */
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
    const session = this.freeSlotFor(entry.runtime, entry.namespace)
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
    if (!caps) return undefined
    let best: PendingEntry | undefined
    const consider = (entry: PendingEntry | undefined) => {
      if (entry && (!best || entry.seq < best.seq)) best = entry
    }
    for (const runtime of caps.runtimes) {
      if (caps.namespaces?.length)
        for (const ns of caps.namespaces) consider(this.pending.peek(runtime, ns))
      else consider(this.pending.peek(runtime))
    }
    return best
  }

  private freeSlotFor(runtime: Runtime, namespace: string): VolunteerSession | undefined {
    return first(this.listed.get(key(runtime, namespace))) ?? first(this.open.get(runtime))
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
    for (const runtime of caps.runtimes) {
      if (caps.namespaces?.length) {
        for (const ns of caps.namespaces) sets.push(setIn(this.listed, key(runtime, ns), create))
      } else {
        sets.push(setIn(this.open, runtime, create))
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

const key = (runtime: Runtime, namespace: string) => `${runtime}\u0000${namespace}`
