/**
 * When a trigger's ticks fall, by croner: the next one after a time, the latest one that came due,
 * and whether a late tick still counts as on time or was missed while nobody was there.
 */
import { Cron } from 'croner'

/** A late tick counts as missed past half its interval, and past this at most. */
const MAX_LATE_MS = 10_000

/** Ticks as epoch ms; croner computes them in the trigger's time zone. */
export class CronTicks {
  readonly #cron: Cron

  constructor(schedule: string, timezone: string) {
    this.#cron = new Cron(schedule, { paused: true, timezone })
  }

  /** The first tick strictly after `after`, or undefined when the schedule has no more. */
  next(after: number): number | undefined {
    return this.#cron.nextRun(new Date(after))?.getTime()
  }

  /** The latest tick in (`after`, `now`], or undefined when none came due. */
  latestDue(after: number, now: number): number | undefined {
    const first = this.next(after)
    if (first === undefined || first > now) return undefined
    // previousRuns looks before its reference, exclusively.
    const latest = this.#cron.previousRuns(1, new Date(now + 1))[0]?.getTime()
    return latest !== undefined && latest > after ? latest : first
  }

  /**
   * Whether `tick`, looked at `now`, counts as missed: later than half the time to the tick after
   * it (at most ten seconds). A room woken by its alarm for the tick is well within that; an
   * orchestrator that was down for it is not.
   */
  isLate(tick: number, now: number): boolean {
    const following = this.next(tick)
    const grace =
      following === undefined ? MAX_LATE_MS : Math.min(MAX_LATE_MS, (following - tick) / 2)
    return now - tick > grace
  }
}
