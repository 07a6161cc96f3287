/**
 * The volunteers with free slots, filed by lane (runtime, and whether they take work that requires
 * a trusted executor) and, for volunteers with a namespace whitelist, by namespace: new work finds
 * a volunteer with room for it in O(1). Invariant (jobs/dispatch.ts): a volunteer is filed only
 * with a free slot, and only after it took every pending job it may run, so new work can go to
 * any filed volunteer that fits it.
 */
import type { Runtime } from '../../../shared/protocol/job'
import { tiersFor, type Tier } from '../jobs/pending-index'
import type { VolunteerSession } from './volunteer-session'

export class FreeSlots {
  /** Volunteers with free slots and no namespace whitelist, by lane. */
  private readonly open = new Map<string, Set<VolunteerSession>>()
  /** Volunteers with free slots and a whitelist, by lane + namespace. */
  private readonly listed = new Map<string, Set<VolunteerSession>>()

  /** A volunteer with a free slot for work of this runtime and namespace, of this tier. */
  find(runtime: Runtime, namespace: string, tier: Tier): VolunteerSession | undefined {
    const lane = laneKey(runtime, tier)
    return first(this.listed.get(key(lane, namespace))) ?? first(this.open.get(lane))
  }

  file(session: VolunteerSession): void {
    for (const set of this.setsOf(session, true)) set.add(session)
  }

  unfile(session: VolunteerSession): void {
    for (const set of this.setsOf(session, false)) set.delete(session)
  }

  private setsOf(session: VolunteerSession, create: boolean): Set<VolunteerSession>[] {
    const caps = session.capabilities
    if (!caps) return []
    const sets: (Set<VolunteerSession> | undefined)[] = []
    const tiers = tiersFor(session.trusted, session.secrets)
    for (const runtime of caps.runtimes) {
      for (const tier of tiers) {
        const lane = laneKey(runtime, tier)
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

/** A runtime, in the lane of work any volunteer may take, the trusted one or the secrets one. */
const laneKey = (runtime: Runtime, tier: Tier) =>
  tier === 'any' ? runtime : `${runtime}\u0000${tier}`
const key = (lane: string, namespace: string) => `${lane}\u0001${namespace}`
