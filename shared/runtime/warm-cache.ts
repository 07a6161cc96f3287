/**
 * Least-recently-used bookkeeping for what a runtime keeps between runs: warm function contexts
 * and compiled code. A Map iterates in insertion order, so taking an entry out and putting it back
 * on use leaves the least recently used first.
 */

/** Something kept warm: what it holds now, and how to let it go. */
export interface WarmEntry {
  bytes(): number
  /** Called once when the entry is evicted or replaced; it is never used again. */
  release(): void
}

export class WarmCache<T extends WarmEntry> {
  private readonly entries = new Map<string, T>()

  /** The entry for `key`, now the most recently used; undefined when there is none. */
  take(key: string): T | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  /** Keeps `entry` under `key` as the most recently used, releasing one it replaces. */
  put(key: string, entry: T): void {
    const old = this.entries.get(key)
    this.entries.delete(key)
    if (old !== undefined && old !== entry) old.release()
    this.entries.set(key, entry)
  }

  /** Releases the entry under `key`, if there is one. */
  discard(key: string): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    entry.release()
  }

  get size(): number {
    return this.entries.size
  }

  bytes(): number {
    let total = 0
    for (const entry of this.entries.values()) total += entry.bytes()
    return total
  }

  /** Releases the least recently used entries until the rest hold at most `keepBytes`. */
  dropTo(keepBytes: number): void {
    let total = this.bytes()
    for (const [key, entry] of this.entries) {
      if (total <= keepBytes) return
      total -= entry.bytes()
      this.entries.delete(key)
      entry.release()
    }
  }
}
