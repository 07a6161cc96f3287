/**
 * Caps the JavaScript values a Python job keeps. Pyodide's wasm heap is capped (memory-cap.ts), but
 * `to_js` and calls on JS objects make values on the thread's JS heap and ArrayBuffers beside it,
 * which no wasm cap sees: 80 `to_js([i] * 10**6)` kept 1.6 GB. Node's heap limit stops the JS heap
 * but not ArrayBuffers, and a browser offers neither a per-worker limit nor a way for a worker to
 * measure itself (Chromium crashes the whole tab at its 4 GiB heap limit).
 *
 * So the budget measures what Python holds: every JS value Python references sits in Pyodide's
 * reference table ("hiwire"), and the budget adds up their sizes (arrays, maps, sets, plain
 * objects and strings by their length, buffers by their bytes, sampling the contents of large
 * containers). CPython polls its interrupt buffer from its eval loop, and Pyodide reads that buffer
 * through JS: the buffer given to Pyodide is this budget's, which measures at most every
 * CHECK_EVERY_MS (further apart when a measurement is slow, so measuring never takes more than a
 * fifth of the job's time: sizing an object of 10,000 keys takes a millisecond) and, past the cap, answers SIGINT from then on and puts MEMORY_SIGNAL in the
 * shared stop flag, where the pool sees it and takes the thread away.
 *
 * What it cannot see: one JS call that allocates a lot at once (`Float64Array.new(2**28)`), which
 * ends before the next poll; Node's heap limit catches that on the JS heap, nothing does in a
 * browser.
 */
import { STOP_SIGNAL, type GuestOutcome } from './runtime'

/** What the budget writes to the shared stop flag when a job passed it (SIGKILL's number). */
export const MEMORY_SIGNAL = 9

const CHECK_EVERY_MS = 10
/** The next measurement waits at least this many times as long as the last one took. */
const GAP_PER_COST = 4
/** Nested containers deeper than this count as their own size only. */
const MAX_DEPTH = 4
/** Elements looked at per container; the rest are assumed to be like them. */
const SAMPLES = 16
/** Reference-table slots read per check; beyond, the total is extrapolated. */
const MAX_SLOTS = 50_000
/** Values sized per check, nested ones included; beyond, containers count only themselves. */
const MAX_NODES = 20_000
/** Bytes taken for an element slot, a map entry, an object property, anything else. */
const SLOT_BYTES = 8
const ENTRY_BYTES = 32
const OBJECT_BYTES = 64

/** The internals of Pyodide's module the budget reads (Pyodide 0.26+). */
export interface HiwireModule {
  HEAP8: Int8Array
  _hiwire_num_refs?: () => number
  __hiwire_get?: (slot: number) => unknown
}

/** Intrinsics captured before any guest runs, so a guest cannot blind the count. */
const { isArray } = Array
const { getPrototypeOf, keys, getOwnPropertyDescriptor } = Object
const { apply } = Reflect
const now = Date.now
const ObjectPrototype = Object.prototype
const getter = (proto: object, name: string) =>
  getOwnPropertyDescriptor(proto, name)?.get as (this: unknown) => unknown
const mapSize = getter(Map.prototype, 'size')
const setSize = getter(Set.prototype, 'size')
const mapValues = Map.prototype.values
const setValues = Set.prototype.values
const mapNext = (getPrototypeOf(new Map().values()) as Iterator<unknown>).next
const setNext = (getPrototypeOf(new Set().values()) as Iterator<unknown>).next
const bufferBytes = getter(ArrayBuffer.prototype, 'byteLength')
const viewBuffer = getter(getPrototypeOf(Uint8Array.prototype) as object, 'buffer')
const dataViewBuffer = getter(DataView.prototype, 'buffer')

/** `fn.call(self)` when `self` has the brand `fn` checks, else undefined (never a Proxy trap). */
function branded<T>(fn: (this: unknown) => unknown, self: unknown): T | undefined {
  try {
    return apply(fn, self, []) as T
  } catch {
    return undefined
  }
}

export class PythonJsBudget {
  private limit = Infinity
  private baseline: Set<unknown> | undefined
  private nextCheck = 0
  private checking = false
  /** True once the current job passed its cap. */
  exceeded = false

  constructor(private readonly module: () => HiwireModule) {}

  /** Bytes of JS values Python holds now, beyond what it held before its first job. */
  held(): number {
    const module = this.module()
    const { values, live } = referenced(module)
    const tally: Tally = { seen: new Set([module.HEAP8.buffer]), nodes: MAX_NODES }
    let bytes = 0
    for (const value of values) {
      // Pyodide's own objects (its API, the host module): what they hold is the runtime's.
      if (this.baseline?.has(value)) continue
      try {
        bytes += sizeOf(value, tally, 0)
      } catch {
        // A proxy of Pyodide's own whose trap refused: it holds nothing of the guest's.
        bytes += OBJECT_BYTES
      }
    }
    const found = values.length
    return found > 0 && found < live ? Math.round((bytes * live) / found) : bytes
  }

  /** Starts a job that may keep `maxBytes` of JS values beyond what Python holds already. */
  start(maxBytes: number): void {
    this.baseline ??= new Set(referenced(this.module()).values)
    this.exceeded = false
    this.limit = this.held() + maxBytes
    this.nextCheck = now() + CHECK_EVERY_MS
  }

  /** What a job that passed its cap ends as, whatever it did after (it may have caught the interrupt). */
  verdict(outcome: GuestOutcome, capBytes: number): GuestOutcome {
    if (!this.exceeded) return outcome
    return {
      ok: false,
      error: {
        code: 'OUT_OF_MEMORY',
        message: `MemoryError: the job kept more than ${Math.round(capBytes / 1048576)} MiB of JavaScript values (made by to_js or JS calls)`,
      },
      // Its values are still on this thread's heap: the owner replaces the thread.
      poisoned: true,
    }
  }

  /**
   * The interrupt buffer to give Pyodide, in place of the shared stop flag: reads and writes pass
   * through to `flag`, and reads measure what the job holds first.
   */
  signals(flag: Int32Array): Int32Array {
    const buffer = {}
    Object.defineProperty(buffer, 0, {
      get: () => this.read(flag),
      // Pyodide clears the buffer once it has read a signal; a job past its cap stays flagged.
      set: (value: number) => {
        if (!this.exceeded) Atomics.store(flag, 0, value)
      },
    })
    // Pyodide only indexes the buffer, which this object supports.
    return buffer as Int32Array
  }

  private read(flag: Int32Array): number {
    if (this.exceeded) return STOP_SIGNAL
    const at = now()
    if (!this.checking && at >= this.nextCheck) {
      this.checking = true
      try {
        const over = this.held() > this.limit
        const done = now()
        this.nextCheck = done + Math.max(CHECK_EVERY_MS, GAP_PER_COST * (done - at))
        if (over) {
          this.exceeded = true
          Atomics.store(flag, 0, MEMORY_SIGNAL)
          return STOP_SIGNAL
        }
      } finally {
        this.checking = false
      }
    }
    return Atomics.load(flag, 0)
  }
}

/**
 * The JS values in Pyodide's reference table (up to MAX_SLOTS slots), and how many it says are
 * live; empty where this Pyodide keeps its references otherwise.
 */
function referenced(module: HiwireModule): { values: unknown[]; live: number } {
  const { _hiwire_num_refs: count, __hiwire_get: get } = module
  if (typeof count !== 'function' || typeof get !== 'function') return { values: [], live: 0 }
  const live = count()
  const values: unknown[] = []
  // Slot 0 is never used; free slots read as undefined, and the table ends in a trap.
  for (let slot = 1; values.length < live && slot <= MAX_SLOTS; slot++) {
    let value: unknown
    try {
      value = get(slot)
    } catch {
      break
    }
    if (value !== undefined && value !== null) values.push(value)
  }
  return { values, live }
}

/** What one measurement has looked at, and how many more values it may size. */
interface Tally {
  seen: Set<unknown>
  nodes: number
}

/** A value's bytes, roughly: what it holds itself plus a sample of what it refers to. */
function sizeOf(value: unknown, tally: Tally, depth: number): number {
  if (typeof value === 'string') return value.length
  if (typeof value !== 'object' || value === null)
    return typeof value === 'function' ? OBJECT_BYTES : 0
  const { seen } = tally
  if (seen.has(value)) return 0
  seen.add(value)
  // Out of time for this measurement: what is left counts as its own slots only.
  if (--tally.nodes <= 0) depth = MAX_DEPTH
  const buffer =
    branded<ArrayBuffer>(viewBuffer, value) ??
    branded<ArrayBuffer>(dataViewBuffer, value) ??
    (branded<number>(bufferBytes, value) !== undefined ? (value as ArrayBuffer) : undefined)
  if (buffer !== undefined) {
    if (seen.has(buffer) && buffer !== value) return OBJECT_BYTES
    seen.add(buffer)
    // A SharedArrayBuffer is the host's (stop flag, host calls), not the guest's.
    return (branded<number>(bufferBytes, buffer) ?? 0) + OBJECT_BYTES
  }
  if (isArray(value)) {
    const items = value as unknown[]
    const length = items.length
    return length * SLOT_BYTES + sampled(length, (i) => ownValue(items, i), tally, depth)
  }
  const mapped = branded<number>(mapSize, value)
  if (mapped !== undefined) {
    const values = firstValues(apply(mapValues, value, []), mapNext)
    return mapped * ENTRY_BYTES + sampledOf(values, mapped, tally, depth)
  }
  const setCount = branded<number>(setSize, value)
  if (setCount !== undefined) {
    const values = firstValues(apply(setValues, value, []), setNext)
    return setCount * ENTRY_BYTES + sampledOf(values, setCount, tally, depth)
  }
  // Plain objects only: anything else may be a Pyodide proxy, whose traps would run Python.
  const proto = getPrototypeOf(value) as unknown
  if (proto !== ObjectPrototype && proto !== null) return OBJECT_BYTES
  const names = keys(value)
  return (
    OBJECT_BYTES +
    names.length * ENTRY_BYTES +
    sampled(names.length, (i) => ownValue(value, names[i] as string), tally, depth)
  )
}

/** The first SAMPLES values of a map or set iterator, by the intrinsic `next`. */
function firstValues(iterator: unknown, next: Iterator<unknown>['next']): unknown[] {
  const values: unknown[] = []
  for (let k = 0; k < SAMPLES; k++) {
    const step = apply(next, iterator, []) as IteratorResult<unknown>
    if (step.done) break
    values.push(step.value)
  }
  return values
}

/** A property's value without running a getter (a guest may have put one there). */
function ownValue(target: object, key: string | number): unknown {
  return getOwnPropertyDescriptor(target, key)?.value
}

function sampled(
  length: number,
  at: (index: number) => unknown,
  tally: Tally,
  depth: number,
): number {
  if (length === 0 || depth >= MAX_DEPTH) return 0
  const picks = Math.min(length, SAMPLES)
  const values: unknown[] = []
  for (let k = 0; k < picks; k++) values.push(at(Math.floor((k * length) / picks)))
  return sampledOf(values, length, tally, depth)
}

function sampledOf(values: unknown[], length: number, tally: Tally, depth: number): number {
  if (values.length === 0 || depth >= MAX_DEPTH) return 0
  let bytes = 0
  for (const v of values) bytes += sizeOf(v, tally, depth + 1)
  return Math.round((bytes * length) / values.length)
}
