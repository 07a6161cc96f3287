/**
 * Pending work, by lane: plain jobs and function calls in the per-runtime heaps, native jobs in a
 * list searched by fit. (Redundant jobs wait in jobs/redundant-jobs.ts, which knows their copies.)
 * Finding what a site with room takes is O(log n) per lane it serves.
 */
import type { Site } from '../placement/placement'
import type { PendingEntry } from './lanes'
import { NativeQueue } from './native-queue'
import { PendingIndex } from './pending-index'

export class JobQueue {
  /** Plain jobs and function calls. */
  readonly pending = new PendingIndex<PendingEntry>()
  readonly native = new NativeQueue()

  add(entry: PendingEntry): void {
    if (entry.lane === 'native') this.native.add(entry)
    else this.pending.add(entry)
  }

  remove(entry: Pick<PendingEntry, 'id' | 'lane'>): void {
    if (entry.lane === 'native') this.native.remove(entry.id)
    else this.pending.remove(entry.id)
  }

  /** Takes a job out of whichever queue holds it. */
  drop(id: string): void {
    this.pending.remove(id)
    this.native.remove(id)
  }

  has(id: string): boolean {
    return this.pending.has(id) || this.native.has(id)
  }

  /** The oldest plain job or function call `site` may take. */
  oldestFor(site: Site): PendingEntry | undefined {
    const caps = site.capabilities
    return caps && this.pending.oldestFor(caps, site.trusted, site.remote, site.secrets === true)
  }

  /** The oldest native job `site` fits (only runners that run native executables look). */
  oldestNativeFor(site: Site): PendingEntry | undefined {
    if (this.native.size === 0 || !site.capabilities?.runtimes.includes('native')) return undefined
    return this.native.find((entry) => site.fits(entry))
  }
}
