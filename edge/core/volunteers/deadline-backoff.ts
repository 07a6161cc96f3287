/**
 * Back-off for volunteers that let deadlines pass without a report. Each incident is a strike and
 * holds the volunteer (no new work) for a time that doubles with every strike; each report on
 * time forgives one. Strikes are kept on the session and, so that reconnecting does not forgive
 * them, under its lasting keys too (its address, a runner's peer id): a volunteer that says hello
 * starts with the worst standing of its keys. A volunteer already connected is judged by its own
 * strikes only, so an honest one that shares an address with a hoarder (a NAT, or loopback under
 * `--limit-loopback`) keeps working while the hoarder waits.
 *
 * The book is memory only and bounded: at most `maxKeys` keys (least recently struck go first),
 * each forgotten `forgetMs` after its last miss.
 */
import type { VolunteerSession } from './volunteer-session'

export interface BackoffSettings {
  /** The hold after a first strike: short, so a slow network or a paused thread costs little. */
  firstMs: number
  /** Holds double with each strike up to this. */
  maxMs: number
  /** A key with no miss for this long is forgotten. */
  forgetMs: number
  /** Keys remembered at most, so a flood of addresses cannot grow the book without bound. */
  maxKeys: number
}

export const BACKOFF: BackoffSettings = {
  firstMs: 1_000,
  maxMs: 5 * 60_000,
  forgetMs: 60 * 60_000,
  maxKeys: 10_000,
}

/** What `GET /api/volunteers` shows of a volunteer's back-off. */
export interface BackoffView {
  strikes: number
  /** When it may get work again (ISO 8601), or null when it is not held. */
  held_until: string | null
}

interface Entry {
  strikes: number
  until: number
  missedAt: number
}

/** How long a volunteer with `strikes` strikes waits: 1 s, 2 s, 4 s, … up to `maxMs`. */
export function holdMs(strikes: number, settings: BackoffSettings = BACKOFF): number {
  if (strikes <= 0) return 0
  return Math.min(settings.maxMs, settings.firstMs * 2 ** Math.min(strikes - 1, 40))
}

/** The keys a volunteer's strikes outlive its connection under. */
function lastingKeys(session: VolunteerSession): string[] {
  const keys: string[] = []
  if (session.addressKey !== undefined) keys.push(`addr:${session.addressKey}`)
  if (session.peer) keys.push(`peer:${session.peer.id}`)
  return keys
}

export class DeadlineBackoff {
  /** Insertion order is recency: a key struck again moves to the end. */
  private readonly book = new Map<string, Entry>()

  constructor(private readonly settings: BackoffSettings = BACKOFF) {}

  /** Keys remembered now. */
  get size(): number {
    return this.book.size
  }

  /**
   * A volunteer joins: it takes the worst standing of its lasting keys. Returns when its hold
   * ends, or undefined when it may work at once.
   */
  inherit(session: VolunteerSession, now: number): number | undefined {
    for (const key of lastingKeys(session)) {
      const entry = this.lookup(key, now)
      if (!entry) continue
      session.strikes = Math.max(session.strikes, entry.strikes)
      if (entry.until > now) session.heldUntil = Math.max(session.heldUntil ?? 0, entry.until)
    }
    return session.heldUntil
  }

  /**
   * A deadline passed without a report: a strike, and a hold twice as long as the last. Misses
   * while it is held are the same incident (a volunteer that froze holding ten jobs misses ten
   * deadlines at once) and add no strike. Returns when the hold ends.
   */
  miss(session: VolunteerSession, now: number): number {
    if (session.heldUntil === undefined || session.heldUntil <= now) {
      session.strikes++
      session.heldUntil = now + holdMs(session.strikes, this.settings)
    }
    const until = session.heldUntil
    for (const key of lastingKeys(session)) {
      const entry = this.lookup(key, now)
      this.book.delete(key)
      this.book.set(key, {
        strikes: Math.max(entry?.strikes ?? 0, session.strikes),
        until: Math.max(entry?.until ?? 0, until),
        missedAt: now,
      })
    }
    for (const key of this.book.keys()) {
      if (this.book.size <= this.settings.maxKeys) break
      this.book.delete(key)
    }
    return until
  }

  /** It reported on time: one of its strikes is forgiven, on it and on its lasting keys. */
  forgive(session: VolunteerSession, now: number): void {
    if (session.strikes === 0) return
    session.strikes--
    for (const key of lastingKeys(session)) {
      const entry = this.lookup(key, now)
      if (!entry) continue
      entry.strikes = Math.max(0, entry.strikes - 1)
      if (entry.strikes === 0 && entry.until <= now) this.book.delete(key)
    }
  }

  view(session: VolunteerSession, now: number): BackoffView {
    const held = session.heldUntil !== undefined && session.heldUntil > now
    return {
      strikes: session.strikes,
      held_until: held ? new Date(session.heldUntil as number).toISOString() : null,
    }
  }

  private lookup(key: string, now: number): Entry | undefined {
    const entry = this.book.get(key)
    if (entry && now - entry.missedAt > this.settings.forgetMs) {
      this.book.delete(key)
      return undefined
    }
    return entry
  }
}
