/**
 * Pending native jobs. Each fits only some runners (the one holding its executable, or those whose
 * machine meets the service's requirements: see volunteers/native-fit.ts), so the queue is a short
 * list searched oldest first for a job that fits, rather than a heap per runtime.
 */
import type { PendingEntry } from './lanes'

export class NativeQueue {
  private entries: PendingEntry[] = []

  get size(): number {
    return this.entries.length
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id)
  }

  add(entry: PendingEntry): void {
    const at = this.entries.findIndex((e) => e.seq > entry.seq)
    if (at < 0) this.entries.push(entry)
    else this.entries.splice(at, 0, entry)
  }

  remove(id: string): boolean {
    const before = this.entries.length
    this.entries = this.entries.filter((e) => e.id !== id)
    return this.entries.length < before
  }

  /** The oldest job that passes `fits`. */
  find(fits: (entry: PendingEntry) => boolean): PendingEntry | undefined {
    return this.entries.find(fits)
  }
}
