/**
 * Pending jobs in memory, ordered oldest first, reachable by runtime (for volunteers that take any
 * namespace) and by runtime + namespace (for volunteers with a whitelist). Jobs that require a
 * trusted executor sit in heaps of their own (a lane), which only trusted volunteers look at.
 * Entries are removed lazily: a heap entry counts only while it is the job's live entry.
 */
import type { Capabilities } from '../../../shared/protocol/capabilities'
import type { Runtime } from '../../../shared/protocol/job'
import { MinHeap } from '../util/min-heap'
import type { Executor } from './executor-policy'

/** What the index orders and files an entry by. */
export interface IndexEntry {
  id: string
  seq: number
  runtime: Runtime
  namespace: string
  /** `trusted`: only a trusted volunteer may take it (absent: any). */
  executor?: Executor
  /** Only sites here may take it, never a peer orchestrator (function calls, forwarded work). */
  home?: boolean
  /** It declares secrets: only sites that may have them take it (a lane above the trusted one). */
  secrets?: boolean
}

/** Who may take an entry: any volunteer, a trusted one, or one that may be sent secrets. */
export type Tier = 'any' | 'trusted' | 'secrets'

/** The tier an entry waits in. */
const tierOf = (entry: Pick<IndexEntry, 'executor' | 'secrets'>): Tier =>
  entry.secrets ? 'secrets' : entry.executor === 'trusted' ? 'trusted' : 'any'

/** The tiers a site looks in, from what it may take. */
export const tiersFor = (trusted: boolean, secrets = false): Tier[] =>
  secrets ? ['any', 'trusted', 'secrets'] : trusted ? ['any', 'trusted'] : ['any']

/**
 * The heaps' key: a runtime, in the lane of jobs any volunteer may take, the trusted one or the
 * secrets one, and apart from those only sites here may take (a peer orchestrator never looks there).
 */
const laneKey = (runtime: Runtime, tier: Tier, home = false): string =>
  `${runtime}${tier === 'any' ? '' : `\u0000${tier}`}${home ? '\u0000home' : ''}`

const bySeq = (a: IndexEntry, b: IndexEntry) => a.seq < b.seq

export class PendingIndex<E extends IndexEntry = IndexEntry> {
  private readonly live = new Map<string, E>()
  private readonly byRuntime = new Map<string, MinHeap<E>>()
  private readonly byNamespace = new Map<string, MinHeap<E>>()

  get size(): number {
    return this.live.size
  }

  has(id: string): boolean {
    return this.live.has(id)
  }

  add(entry: E): void {
    this.live.set(entry.id, entry)
    const lane = laneKey(entry.runtime, tierOf(entry), entry.home)
    heapFor(this.byRuntime, lane).push(entry)
    heapFor(this.byNamespace, nsKey(lane, entry.namespace)).push(entry)
  }

  remove(id: string): boolean {
    return this.live.delete(id)
  }

  /**
   * The oldest pending job of a runtime, in any namespace or in the given one; `tier` looks in
   * the lane of jobs that require a trusted executor, or one that may have secrets, instead.
   */
  peek(runtime: Runtime, namespace?: string, tier: Tier = 'any', home = false): E | undefined {
    const lane = laneKey(runtime, tier, home)
    const heap =
      namespace === undefined
        ? this.byRuntime.get(lane)
        : this.byNamespace.get(nsKey(lane, namespace))
    if (!heap) return undefined
    for (let top = heap.peek(); top; top = heap.peek()) {
      if (this.live.get(top.id) === top) return top
      heap.pop()
    }
    if (namespace !== undefined) this.byNamespace.delete(nsKey(lane, namespace))
    return undefined
  }

  /**
   * The oldest job a site with these capabilities may take (trusted ones: both lanes, those that
   * may have secrets: all three; a site here, not a peer orchestrator, also what must stay here).
   */
  oldestFor(caps: Capabilities, trusted: boolean, remote = false, secrets = false): E | undefined {
    let best: E | undefined
    const lanes = tiersFor(trusted, secrets)
    const homes = remote ? [false] : [false, true]
    const namespaces = caps.namespaces?.length ? caps.namespaces : [undefined]
    for (const runtime of caps.runtimes)
      for (const ns of namespaces)
        for (const lane of lanes)
          for (const home of homes) {
            const entry = this.peek(runtime, ns, lane, home)
            if (entry && (!best || entry.seq < best.seq)) best = entry
          }
    return best
  }
}

function heapFor<K, E extends IndexEntry>(map: Map<K, MinHeap<E>>, key: K): MinHeap<E> {
  let heap = map.get(key)
  if (!heap) map.set(key, (heap = new MinHeap<E>(bySeq)))
  return heap
}

const nsKey = (lane: string, namespace: string) => `${lane}\u0001${namespace}`
