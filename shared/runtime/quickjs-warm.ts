/**
 * A warm QuickJS context for one function version: its code evaluated once and `handle` found
 * once, then called per request, so module-level state persists between calls of that version as
 * in a Worker isolate. Each warm context has a wasm module and memory of its own, so the memory
 * cap holds for each one exactly (see quickjs-module.ts) and no context's allocations count
 * against another's. An evicted context's module, freed of it, may serve the next new context
 * (making a module costs ~5 ms of CPU, a context ~0.3 ms): nothing of the old context is
 * reachable there, only memory its allocator has taken back.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { classifyJsError, GUEST_FILE, type ThrownValue } from './guest-error'
import type { OutputBuffer } from './output-buffer'
import { GuestThrow, QuickJsBindings } from './quickjs-bindings'
import {
  BASE_BYTES,
  capReached,
  hostFailure,
  loadBounded,
  type BoundedModule,
} from './quickjs-module'
import { consumeThrown, findHandler, resultOf, settle } from './quickjs-values'
import type { GuestOutcome, RunControl, RunRequest } from './runtime'
import type { WarmEntry } from './warm-cache'

/**
 * What an idle context is counted as beyond what its memory grew: its share of the 16 MiB every
 * module starts with, of which about 1 MiB is resident (20 idle contexts added 19–23 MiB of RSS).
 */
const IDLE_BYTES = 2 * 1024 * 1024

/** A module whose memory grew further than this is not kept for another context. */
const RECYCLE_BELOW_BYTES = 4 * 1024 * 1024

/** Failures after which the context is still sound: the guest's own errors and bad results. */
const KEEPS_CONTEXT = new Set(['GUEST_ERROR', 'RESULT_NOT_JSON', 'RESULT_TOO_LARGE'])

export class WarmJsContext implements WarmEntry {
  /** The wasm module failed under this context: it is never used again. */
  private damaged = false

  private constructor(
    private readonly code: string,
    private readonly bounded: BoundedModule,
    private readonly runtime: QuickJSRuntime,
    private readonly ctx: QuickJSContext,
    private readonly bindings: QuickJsBindings,
    private readonly handler: QuickJSHandle,
    /** The running call's control: the interrupt handler reads its deadline. */
    private readonly current: { control: RunControl },
    /** Takes the module back once this context is freed from it. */
    private readonly recycle: (bounded: BoundedModule) => void,
  ) {}

  /**
   * Loads a module, evaluates the code in a fresh context and finds `handle`: the context, or the
   * failure of its top level (then nothing is kept).
   */
  static async open(
    request: RunRequest,
    control: RunControl,
    options: {
      stackBytes: number
      output: OutputBuffer
      /** A module an evicted context left, if it has this cap. */
      spare: BoundedModule | undefined
      recycle: (bounded: BoundedModule) => void
    },
  ): Promise<WarmJsContext | GuestOutcome> {
    const { stackBytes, output, spare, recycle } = options
    const bounded =
      spare?.capBytes === request.memoryBytes ? spare : await loadBounded(request.memoryBytes)
    bounded.refused = false
    const runtime = bounded.module.newRuntime()
    runtime.setMemoryLimit(request.memoryBytes)
    runtime.setMaxStackSize(stackBytes)
    const current = { control }
    runtime.setInterruptHandler(
      () => Date.now() > current.control.deadline || current.control.isCancelled(),
    )
    const ctx = runtime.newContext()
    const fail = failWith(bounded, request, control)
    const bindings = new QuickJsBindings(ctx, output, control.host)
    try {
      bindings.install(JSON.stringify(request.input ?? {}))
      const evaluated = ctx.evalCode(request.code, `${GUEST_FILE}.js`, { type: 'global' })
      if (evaluated.error) return fail(consumeThrown(ctx, evaluated.error))
      const settled = settle(ctx, evaluated.value)
      if ('thrown' in settled) return fail(settled.thrown)
      settled.value.dispose()
      const found = findHandler(ctx)
      if (found.error) return fail(consumeThrown(ctx, found.error))
      return new WarmJsContext(
        request.code,
        bounded,
        runtime,
        ctx,
        bindings,
        found.value,
        current,
        recycle,
      )
    } catch (err) {
      if (err instanceof GuestThrow) return fail(consumeThrown(ctx, err.handle))
      return { ok: false, error: hostFailure(err) }
    }
  }

  /** True when this context was made for this code under this memory cap. */
  serves(request: RunRequest): boolean {
    return this.code === request.code && this.bounded.capBytes === request.memoryBytes
  }

  /** Calls `handle` with the request; console and `db` reach this call's output and host. */
  call(request: RunRequest, control: RunControl, output: OutputBuffer): GuestOutcome {
    const { ctx, bindings } = this
    this.current.control = control
    this.bounded.refused = false
    const fail = failWith(this.bounded, request, control)
    try {
      const input = bindings.nextCall(output, control.host, JSON.stringify(request.input ?? {}))
      let call
      try {
        call = ctx.callFunction(this.handler, ctx.undefined, input)
      } finally {
        input.dispose()
      }
      if (call.error) return fail(consumeThrown(ctx, call.error))
      const settled = settle(ctx, call.value)
      if ('thrown' in settled) return fail(settled.thrown)
      return resultOf(ctx, bindings, settled.value, fail)
    } catch (err) {
      if (err instanceof GuestThrow) return fail(consumeThrown(ctx, err.handle))
      this.damaged = true
      return { ok: false, error: hostFailure(err) }
    }
  }

  /**
   * Whether the context may serve the next call after this outcome: not after a timeout, a
   * cancel, the memory cap (even one the guest caught) or a failure of the module itself.
   */
  reusable(outcome: GuestOutcome): boolean {
    if (this.damaged || this.bounded.refused) return false
    return outcome.ok || KEEPS_CONTEXT.has(outcome.error.code)
  }

  bytes(): number {
    return this.bounded.memory.buffer.byteLength - BASE_BYTES + IDLE_BYTES
  }

  /**
   * Frees the context from its module (no guest code runs: QuickJS only queues finalization
   * callbacks as jobs) and hands the module back, unless it grew or failed; else the module goes
   * with its memory.
   */
  release(): void {
    const reuse =
      !this.damaged &&
      !this.bounded.refused &&
      this.bounded.memory.buffer.byteLength - BASE_BYTES <= RECYCLE_BELOW_BYTES
    this.damaged = true
    if (!reuse) return
    try {
      this.handler.dispose()
      this.bindings.dispose()
      this.ctx.dispose()
      this.runtime.dispose()
    } catch {
      return
    }
    this.recycle(this.bounded)
  }
}

/** Classifies what the guest threw, as the memory cap when the module refused to grow. */
function failWith(
  bounded: BoundedModule,
  request: RunRequest,
  control: RunControl,
): (thrown: ThrownValue) => GuestOutcome {
  return (thrown) => {
    const error = classifyJsError(thrown, control, request.timeoutMs)
    return { ok: false, error: bounded.refused ? capReached(error, bounded.capBytes) : error }
  }
}
