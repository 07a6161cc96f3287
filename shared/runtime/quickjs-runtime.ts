/**
 * JavaScript jobs in QuickJS (quickjs-emscripten, release-sync variant). Every job gets a fresh
 * runtime and context with a stack limit and an interrupt deadline; the guest sees only the
 * language, `console`, `INPUT` and `db` (see quickjs-bindings.ts) — no `process`, `require`,
 * `fetch` or timers.
 *
 * Memory: this build has no malloc_usable_size, so QuickJS counts only a fixed overhead per
 * allocation against `setMemoryLimit` (a job kept 2 GiB of strings under a 128 MiB limit). The cap
 * is therefore the module's own memory: QuickJS runs in a WebAssembly.Memory we create with a
 * maximum, the engine refuses growth past it, and malloc fails inside QuickJS, which throws
 * "out of memory" in the guest.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync'
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
  type VmCallResult,
} from 'quickjs-emscripten-core'
import type { JobError } from '../protocol/job'
import type { JsonValue } from '../protocol/json'
import { GuestThrow, QuickJsBindings } from './quickjs-bindings'
import { classifyJsError, GUEST_FILE, type ThrownValue } from './guest-error'
import { OutputBuffer } from './output-buffer'
import {
  NO_HANDLER,
  type GuestOutcome,
  type GuestRuntime,
  type RunControl,
  type RunOutcome,
  type RunRequest,
} from './runtime'
import { MAX_RESULT_CHARS } from './limits'
import { RUN_DEFAULTS } from './runtime'

const DEFAULT_STACK_BYTES = 64 * 1024
const PAGE = 65536
/** What the build starts with (its INITIAL_MEMORY): static data, the C stack and the first heap. */
const BASE_BYTES = 16 * 1024 * 1024

/** A QuickJS module in its own memory, which may grow by `capBytes` past its start. */
interface BoundedModule {
  module: QuickJSWASMModule
  memory: WebAssembly.Memory
  capBytes: number
  /** Set when the engine refused to grow the memory: the job reached its cap. */
  refused: boolean
}

async function loadBounded(capBytes: number): Promise<BoundedModule> {
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
  bounded.module = await newQuickJSWASMModuleFromVariant(
    newVariant(variant, { wasmMemory: memory }),
  )
  return bounded
}

/** Says that a failure after a refused grow is the memory cap, whatever QuickJS made of it. */
function capReached(error: JobError, capBytes: number): JobError {
  if (!['GUEST_ERROR', 'WORKER_CRASHED', 'OUT_OF_MEMORY'].includes(error.code)) return error
  return {
    ...error,
    code: 'OUT_OF_MEMORY',
    message: `${error.message || 'out of memory'} (the job is limited to ${Math.round(capBytes / 1048576)} MiB)`,
  }
}

function hostFailure(err: unknown): JobError {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /call stack/i.test(message)) {
    return {
      code: 'STACK_OVERFLOW',
      message: 'InternalError: stack overflow (the guest recursed too deeply)',
    }
  }
  return { code: 'WORKER_CRASHED', message: `QuickJS failed: ${message}` }
}

export class QuickJsRuntime implements GuestRuntime {
  readonly name = 'js' as const

  private broken = false

  private constructor(
    private bounded: BoundedModule,
    private readonly stackBytes: number,
  ) {}

  /**
   * `stackBytes` bounds guest recursion. Wasm frames also use the host thread's native stack, so
   * keep it at most 1/16 of that: 64 KiB suits a browser worker (~1 MiB), 1 MiB a Node thread
   * started with `resourceLimits.stackSizeMb: 16`.
   */
  static async load(
    options: { stackBytes?: number; memoryBytes?: number } = {},
  ): Promise<QuickJsRuntime> {
    return new QuickJsRuntime(
      await loadBounded(options.memoryBytes ?? RUN_DEFAULTS.memoryBytes),
      options.stackBytes ?? DEFAULT_STACK_BYTES,
    )
  }

  /** Bytes the module's memory grew past its start; it never shrinks, so the owner may recycle. */
  retainedBytes(): number {
    return this.bounded.memory.buffer.byteLength - BASE_BYTES
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const started = Date.now()
    const output = new OutputBuffer(request.outputLimit)
    if (this.broken) {
      return {
        ok: false,
        error: { code: 'WORKER_CRASHED', message: 'QuickJS was damaged by an earlier job' },
        output: '',
        durationMs: 0,
        poisoned: true,
      }
    }
    // The cap lives in the module's memory, so a job with another cap needs another module.
    if (this.bounded.capBytes !== request.memoryBytes)
      this.bounded = await loadBounded(request.memoryBytes)
    const bounded = this.bounded
    bounded.refused = false
    const runtime = bounded.module.newRuntime()
    // Still counts allocations (a fixed overhead each), which bounds their number.
    runtime.setMemoryLimit(request.memoryBytes)
    runtime.setMaxStackSize(this.stackBytes)
    runtime.setInterruptHandler(() => Date.now() > control.deadline || control.isCancelled())
    const ctx = runtime.newContext()
    let outcome: GuestOutcome
    try {
      outcome = this.execute(ctx, request, control, output)
    } catch (err) {
      // Only a broken wasm instance or an exhausted host stack gets here, never a guest exception.
      this.broken = true
      outcome = { ok: false, error: hostFailure(err), poisoned: true }
    }
    if (!this.broken) {
      try {
        ctx.dispose()
        runtime.dispose()
      } catch {
        this.broken = true
        outcome = { ...outcome, poisoned: true } as GuestOutcome
      }
    }
    if (!outcome.ok && bounded.refused)
      outcome = { ...outcome, error: capReached(outcome.error, bounded.capBytes) }
    return { ...outcome, output: output.toString(), durationMs: Date.now() - started }
  }

  private execute(
    ctx: QuickJSContext,
    request: RunRequest,
    control: RunControl,
    output: OutputBuffer,
  ): GuestOutcome {
    const fail = (thrown: ThrownValue): GuestOutcome => ({
      ok: false,
      error: classifyJsError(thrown, control, request.timeoutMs),
    })
    const bindings = new QuickJsBindings(ctx, output, control.host)
    try {
      bindings.install(JSON.stringify(request.input ?? {}))
      return this.evaluate(ctx, request, bindings, fail)
    } catch (err) {
      if (!(err instanceof GuestThrow)) throw err
      return fail(consumeThrown(ctx, err.handle))
    } finally {
      bindings.dispose()
    }
  }

  private evaluate(
    ctx: QuickJSContext,
    request: RunRequest,
    bindings: QuickJsBindings,
    fail: (thrown: ThrownValue) => GuestOutcome,
  ): GuestOutcome {
    const evaluated = ctx.evalCode(request.code, `${GUEST_FILE}.js`, { type: 'global' })
    if (evaluated.error) return fail(consumeThrown(ctx, evaluated.error))
    let settled = settle(ctx, evaluated.value)
    if ('thrown' in settled) return fail(settled.thrown)
    if (request.mode === 'function') {
      settled.value.dispose()
      const call = callHandler(ctx)
      if (call.error) return fail(consumeThrown(ctx, call.error))
      settled = settle(ctx, call.value)
      if ('thrown' in settled) return fail(settled.thrown)
    }
    const json = serialize(ctx, bindings, settled.value)
    settled.value.dispose()
    if ('thrown' in json) {
      const failed = fail(json.thrown)
      if (failed.ok || failed.error.code !== 'GUEST_ERROR') return failed
      return {
        ok: false,
        error: {
          code: 'RESULT_NOT_JSON',
          message: `the result cannot be sent as JSON: ${failed.error.message}`,
        },
      }
    }
    if (json.text.length > MAX_RESULT_CHARS) {
      return {
        ok: false,
        error: {
          code: 'RESULT_TOO_LARGE',
          message: `the result is ${json.text.length} characters of JSON; the limit is ${MAX_RESULT_CHARS}`,
        },
      }
    }
    return { ok: true, result: JSON.parse(json.text) as JsonValue }
  }
}

type Settled = { value: QuickJSHandle } | { thrown: ThrownValue }

/** Lets an async job finish: runs the microtask queue until its promise settles. */
function settle(ctx: QuickJSContext, value: QuickJSHandle): Settled {
  let state = ctx.getPromiseState(value)
  if (state.type === 'fulfilled' && state.notAPromise) return { value }
  while (state.type === 'pending' && ctx.runtime.hasPendingJob()) {
    const ran = ctx.runtime.executePendingJobs()
    if (ran.error) {
      value.dispose()
      return { thrown: consumeThrown(ctx, ran.error) }
    }
    state = ctx.getPromiseState(value)
  }
  value.dispose()
  if (state.type === 'fulfilled') return { value: state.value }
  if (state.type === 'rejected') return { thrown: consumeThrown(ctx, state.error) }
  return { thrown: { name: 'Error', message: 'the promise the job evaluated to never settled' } }
}

/** Function mode: calls the `handle` the code defined with the request (INPUT). */
function callHandler(ctx: QuickJSContext): VmCallResult<QuickJSHandle> {
  const handler = ctx.getProp(ctx.global, 'handle')
  try {
    if (ctx.typeof(handler) !== 'function') return { error: ctx.newError(NO_HANDLER) }
    const input = ctx.getProp(ctx.global, 'INPUT')
    try {
      return ctx.callFunction(handler, ctx.undefined, input)
    } finally {
      input.dispose()
    }
  } finally {
    handler.dispose()
  }
}

function serialize(
  ctx: QuickJSContext,
  bindings: QuickJsBindings,
  value: QuickJSHandle,
): { text: string } | { thrown: ThrownValue } {
  try {
    return { text: bindings.serialize(value) }
  } catch (err) {
    if (!(err instanceof GuestThrow)) throw err
    return { thrown: consumeThrown(ctx, err.handle) }
  }
}

function consumeThrown(ctx: QuickJSContext, handle: QuickJSHandle): ThrownValue {
  const thrown = dumpThrown(ctx, handle)
  handle.dispose()
  return thrown
}

/** Reads an exception out of the VM as plain data; guests may throw anything, not only Errors. */
function dumpThrown(ctx: QuickJSContext, handle: QuickJSHandle): ThrownValue {
  const dumped: unknown = ctx.dump(handle)
  if (dumped && typeof dumped === 'object' && 'message' in dumped) {
    const { name, message, stack } = dumped as {
      name?: unknown
      message?: unknown
      stack?: unknown
    }
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: String(message),
      ...(typeof stack === 'string' && { stack }),
    }
  }
  let text: string
  try {
    text = typeof dumped === 'string' ? dumped : (JSON.stringify(dumped) ?? String(dumped))
  } catch {
    text = String(dumped)
  }
  return { name: '', message: `uncaught ${text}` }
}
