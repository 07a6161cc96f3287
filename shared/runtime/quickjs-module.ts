/**
 * A QuickJS wasm module in a memory of its own, which is what makes a QuickJS memory cap real:
 * this build has no malloc_usable_size, so QuickJS's own `setMemoryLimit` counts only a fixed
 * overhead per allocation (a job kept 2 GiB of strings under a 128 MiB limit). The module's
 * WebAssembly.Memory is created with a maximum instead, the engine refuses growth past it, and
 * malloc fails inside QuickJS, which throws "out of memory" in the guest.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync'
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'
import type { JobError } from '../protocol/job'

const PAGE = 65536
/** What the build starts with (its INITIAL_MEMORY): static data, the C stack and the first heap. */
export const BASE_BYTES = 16 * 1024 * 1024

/** A QuickJS module in its own memory, which may grow by `capBytes` past its start. */
export interface BoundedModule {
  module: QuickJSWASMModule
  memory: WebAssembly.Memory
  capBytes: number
  /** Set when the engine refused to grow the memory: the job reached its cap. */
  refused: boolean
}

/**
 * QuickJS's compiled wasm, kept from the first load: later modules (a warm context each, or
 * another cap) are instantiated from it, because once a thread has locked its realm down for
 * Pyodide there is no file system or fetch left to read the wasm again.
 */
let compiled: WebAssembly.Module | undefined

/**
 * Runs the first load with WebAssembly's instantiate functions watched, to keep the module that
 * emscripten compiles for `memory` (recognised by the memory in its imports: other runtimes may
 * load their own wasm at the same time).
 */
async function capturingModule<T>(memory: WebAssembly.Memory, load: () => Promise<T>): Promise<T> {
  const wasm = WebAssembly as {
    instantiate: (...args: unknown[]) => Promise<unknown>
    instantiateStreaming?: (...args: unknown[]) => Promise<unknown>
  }
  const { instantiate, instantiateStreaming } = wasm
  const ours = (imports: unknown) =>
    typeof imports === 'object' &&
    imports !== null &&
    Object.values(imports).some(
      (ns) => typeof ns === 'object' && ns !== null && Object.values(ns).includes(memory),
    )
  const keep = (result: unknown) => {
    if (typeof result === 'object' && result !== null && 'module' in result)
      compiled ??= (result as { module: WebAssembly.Module }).module
  }
  const watched =
    (original: (...args: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]) => {
      const pending = original.apply(WebAssembly, args)
      if (ours(args[1])) void pending.then(keep, () => undefined)
      return pending
    }
  try {
    wasm.instantiate = watched(instantiate)
    if (instantiateStreaming) wasm.instantiateStreaming = watched(instantiateStreaming)
  } catch {
    // A frozen realm: load without keeping the module.
    return load()
  }
  try {
    return await load()
  } finally {
    wasm.instantiate = instantiate
    if (instantiateStreaming) wasm.instantiateStreaming = instantiateStreaming
  }
}

export async function loadBounded(capBytes: number): Promise<BoundedModule> {
  const memory = new WebAssembly.Memory({
    initial: BASE_BYTES / PAGE,
    maximum: BASE_BYTES / PAGE + Math.ceil(capBytes / PAGE),
  })
  const bounded = { memory, capBytes, refused: false } as BoundedModule
  // Emscripten grows the heap through memory.grow(), which throws past the maximum: note it, so a
  // failure that follows reads as the cap it is.
  const grow = WebAssembly.Memory.prototype.grow
  Object.defineProperty(memory, 'grow', {
    value: (delta: number): number => {
      try {
        return grow.call(memory, delta)
      } catch (err) {
        bounded.refused = true
        throw err
      }
    },
  })
  const load = () =>
    newQuickJSWASMModuleFromVariant(
      newVariant(variant, { wasmMemory: memory, ...(compiled && { wasmModule: compiled }) }),
    )
  bounded.module = compiled ? await load() : await capturingModule(memory, load)
  return bounded
}

/** Says that a failure after a refused grow is the memory cap, whatever QuickJS made of it. */
export function capReached(error: JobError, capBytes: number): JobError {
  if (!['GUEST_ERROR', 'WORKER_CRASHED', 'OUT_OF_MEMORY'].includes(error.code)) return error
  return {
    ...error,
    code: 'OUT_OF_MEMORY',
    message: `${error.message || 'out of memory'} (the job is limited to ${Math.round(capBytes / 1048576)} MiB)`,
  }
}

/** What a JS exception from the wasm module itself (not from the guest) means for the job. */
export function hostFailure(err: unknown): JobError {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /call stack/i.test(message)) {
    return {
      code: 'STACK_OVERFLOW',
      message: 'InternalError: stack overflow (the guest recursed too deeply)',
    }
  }
  return { code: 'WORKER_CRASHED', message: `QuickJS failed: ${message}` }
}
