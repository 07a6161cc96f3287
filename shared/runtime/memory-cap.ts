/**
 * Caps growth of an existing WebAssembly.Memory (Pyodide's) from JS: Emscripten grows its heap
 * through `memory.grow()`, and a refused grow becomes a MemoryError inside the guest.
 */
const limits = new WeakMap<WebAssembly.Memory, number>()
let installed = false

export function limitGrowth(memory: WebAssembly.Memory, maxBytes: number): void {
  limits.set(memory, maxBytes)
  if (installed) return
  installed = true
  const grow = WebAssembly.Memory.prototype.grow
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number): number {
    const max = limits.get(this)
    if (max !== undefined && this.buffer.byteLength + delta * 65536 > max) {
      throw new RangeError(`memory cap of ${Math.round(max / 1048576)} MiB reached`)
    }
    return grow.call(this, delta)
  }
}
