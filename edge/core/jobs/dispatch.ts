/**
 * Matches pending work with sites that have room, through the placements. Invariant (kept by each
 * placement's index of sites with room): no site with room is idle while pending work it may take
 * exists, so new work can go to any site with room that fits, and a site with room takes the oldest
 * work it may take. Work nobody can run never blocks the rest. Work that requires a trusted
 * executor is a lane of its own that only trusted sites look in.
 */
import type { Placement, Site } from '../placement/placement'
import type { JobQueue } from './job-queue'
import type { PendingEntry } from './lanes'
import type { RedundantJobs, Seat } from './redundant-jobs'

/** Starts pending work on a site; false when it could not (it is no longer pending). */
export type Start = (entry: PendingEntry, site: Site, placement: Placement) => boolean

export class Dispatch {
  constructor(
    private readonly queue: JobQueue,
    private readonly redundant: RedundantJobs,
    private readonly placements: readonly Placement[],
    private readonly start: Start,
  ) {}

  /** Work became pending (and is queued): it starts at once where a site has room for it. */
  offer(entry: PendingEntry): void {
    const seat = this.seat(entry)
    if (seat) this.start(entry, seat.site, seat.placement)
  }

  /** A site with room for this work now (that passes `admit`), in the first placement that has one. */
  seat(work: PendingEntry, admit?: (site: Site) => boolean): Seat | undefined {
    for (const placement of this.placements) {
      const site = placement.offer(work, admit)
      if (site) return { site, placement }
    }
    return undefined
  }

  /**
   * A site has room: copies of redundant jobs older than the oldest plain job it could run first,
   * then plain jobs and function calls oldest first, then native jobs, then younger copies.
   */
  room(site: Site, placement: Placement): void {
    if (this.redundant.waitingJobs > 0 && site.room > 0)
      this.redundant.fill(site, placement, this.queue.oldestFor(site)?.seq ?? Infinity)
    while (site.room > 0) {
      const entry = this.queue.oldestFor(site)
      if (!entry) break
      this.start(entry, site, placement)
    }
    while (site.room > 0) {
      const entry = this.queue.oldestNativeFor(site)
      if (!entry || !this.start(entry, site, placement)) break
    }
    if (site.room > 0) this.redundant.fill(site, placement)
  }
}
