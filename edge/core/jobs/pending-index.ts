/**
 * Pending jobs in memory, ordered oldest first, reachable by runtime (for volunteers that take any
 * namespace) and by runtime + namespace (for volunteers with a whitelist). Entries are removed
 * lazily: a heap entry counts only while it is the job's live entry.
 */
import type { Runtime } from '../../../shared/job'
import { MinHeap } from '../util/min-heap'

export interface PendingEntry {
  id: string
  seq: number
  runtime: Runtime
  namespace: string
  /** When it became pending here (ms), for the dispatch latency metric; unknown after a restart. */
  queuedAt?: number
}

const bySeq = (a: PendingEntry, b: PendingEntry) => a.seq < b.seq

export class PendingIndex {
  private readonly live = new Map<string, PendingEntry>()
  private readonly byRuntime = new Map<Runtime, MinHeap<PendingEntry>>()
  private readonly byNamespace = new Map<string, MinHeap<PendingEntry>>()

  get size(): number {
    return this.live.size
  }

  has(id: string): boolean {
    return this.live.has(id)
  }

  add(entry: PendingEntry): void {
    this.live.set(entry.id, entry)
    heapFor(this.byRuntime, entry.runtime).push(entry)
    heapFor(this.byNamespace, nsKey(entry.runtime, entry.namespace)).push(entry)
  }

  remove(id: string): boolean {
    return this.live.delete(id)
  }

  /** The oldest pending job of a runtime, in any namespace or in the given one. */
  peek(runtime: Runtime, namespace?: string): PendingEntry | undefined {
    const heap =
      namespace === undefined
        ? this.byRuntime.get(runtime)
        : this.byNamespace.get(nsKey(runtime, namespace))
    if (!heap) return undefined
    for (let top = heap.peek(); top; top = heap.peek()) {
      if (this.live.get(top.id) === top) return top
      heap.pop()
    }
    if (namespace !== undefined) this.byNamespace.delete(nsKey(runtime, namespace))
    return undefined
  }
}

function heapFor<K>(map: Map<K, MinHeap<PendingEntry>>, key: K): MinHeap<PendingEntry> {
  let heap = map.get(key)
  if (!heap) map.set(key, (heap = new MinHeap(bySeq)))
  return heap
}

const nsKey = (runtime: Runtime, namespace: string) => `${runtime}\u0000${namespace}`
