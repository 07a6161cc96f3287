/**
 * Reputation per volunteer, from redundant jobs only: once a job's copies agree, every answer it
 * received (all rounds) is judged against the agreed one. Volunteers in bad standing get no more
 * redundant copies; ordinary jobs are unaffected, so redundancy-1 dispatch pays nothing for this.
 *
 * Standing is kept under the volunteer's most lasting key (`reputationKey`): a runner's peer id, or
 * its address. Those rows live in SQL (store/reputation-store.ts), so neither a reconnect nor an
 * orchestrator restart forgives a liar; a volunteer with neither (loopback, unless
 * `--limit-loopback`) is judged by its connection, in memory, until it leaves.
 */
import type { ReputationStore } from '../store/reputation-store'
import type { Site } from '../placement/placement'

export interface Standing {
  agreed: number
  disagreed: number
}

export interface ReputationView extends Standing {
  /** (agreed + 1) / (agreed + disagreed + 2): 0.5 for a newcomer, towards 1 for honest ones. */
  score: number
  /** False once it disagreed more often than it agreed: it gets no redundant copies. */
  trusted: boolean
}

/** Lasting keys remembered in memory at most; the rest are read from SQL when next needed. */
const CACHED_KEYS = 4096

/** Who a site is for distinctness (no two copies of a job on one site): see Site.key. */
export function volunteerKey(site: Pick<Site, 'key'>): string {
  return site.key
}

/** Who a site is for reputation: see Site.standing (a runner's peer id, an address, a connection). */
export function reputationKey(site: Pick<Site, 'standing'>): string {
  return site.standing
}

/**
 * Whether a key outlives its connection (and is therefore stored): a lasting key names its kind
 * (`peer:` a runner, `addr:` an address; a placement may add its own, see Site.standing), a bare
 * connection id does not.
 */
export function isLasting(key: string): boolean {
  return LASTING.test(key)
}

const LASTING = /^[a-z]+:/

export class Reputation {
  /** Standing of connection-keyed volunteers, dropped when they leave. */
  private readonly passing = new Map<string, Standing>()
  /** Lasting keys' standing as read from or written to the store; insertion order is recency. */
  private readonly cache = new Map<string, Standing>()

  constructor(
    private readonly store?: ReputationStore,
    private readonly cachedKeys = CACHED_KEYS,
  ) {}

  of(key: string): ReputationView {
    const { agreed, disagreed } = this.standing(key) ?? { agreed: 0, disagreed: 0 }
    return {
      agreed,
      disagreed,
      score: Math.round(((agreed + 1) / (agreed + disagreed + 2)) * 1000) / 1000,
      trusted: disagreed <= agreed,
    }
  }

  trusted(key: string): boolean {
    const s = this.standing(key)
    return !s || s.disagreed <= s.agreed
  }

  note(key: string, agreed: boolean, now = Date.now()): void {
    let s = this.standing(key)
    if (!s) {
      s = { agreed: 0, disagreed: 0 }
      if (isLasting(key)) this.remember(key, s)
      else this.passing.set(key, s)
    }
    if (agreed) s.agreed++
    else s.disagreed++
    if (isLasting(key)) this.store?.add(key, agreed, now)
  }

  /** A connection-keyed site left: its key never comes back, so its standing goes too. */
  forget(site: Pick<Site, 'id'>): void {
    this.passing.delete(site.id)
  }

  private standing(key: string): Standing | undefined {
    if (!isLasting(key)) return this.passing.get(key)
    const cached = this.cache.get(key)
    if (cached) {
      this.remember(key, cached)
      return cached
    }
    // A key with no row is remembered as a newcomer too, so asking again costs no query.
    const stored = this.store?.get(key)
    const s = { agreed: stored?.agreed ?? 0, disagreed: stored?.disagreed ?? 0 }
    this.remember(key, s)
    return s
  }

  private remember(key: string, s: Standing): void {
    this.cache.delete(key)
    this.cache.set(key, s)
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= this.cachedKeys) break
      this.cache.delete(oldest)
    }
  }
}
