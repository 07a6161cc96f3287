/**
 * Caps growth of a WebAssembly.Memory we do not hold a reference to (Pyodide keeps its own): every
 * `memory.grow()` from JS is checked against the limits registered here. Emscripten grows its heap
 * through that call, and a refused grow becomes a MemoryError inside the guest.
 */
export interface GrowthLimit {
  /** Bytes the memory may reach; Infinity lifts the cap. */
  maxBytes: number
}

interface Entry extends GrowthLimit {
  applies: (memory: WebAssembly.Memory) => boolean
}

const entries: Entry[] = []
let installed = false

/** Registers a cap for the memory `applies` recognises; adjust it through the returned object. */
export function limitGrowth(
  applies: (memory: WebAssembly.Memory) => boolean,
  maxBytes = Infinity,
): GrowthLimit {
  const entry: Entry = { applies, maxBytes }
  entries.push(entry)
  if (!installed) {
    installed = true
    const grow = WebAssembly.Memory.prototype.grow
    WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number): number {
      for (const limit of entries) {
        if (limit.applies(this) && this.buffer.byteLength + delta * 65536 > limit.maxBytes) {
          throw new RangeError(`memory cap of ${Math.round(limit.maxBytes / 1048576)} MiB reached`)
        }
      }
      return grow.call(this, delta)
    }
  }
  return entry
}
