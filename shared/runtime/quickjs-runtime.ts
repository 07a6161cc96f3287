/**
 * JavaScript in QuickJS (quickjs-emscripten, release-sync variant). Every job gets a fresh runtime
 * and context with a stack limit and an interrupt deadline; a function call with a warm key runs
 * on that version's warm context (quickjs-warm.ts). The guest sees only the language, `console`,
 * `INPUT` and `db` (see quickjs-bindings.ts) — no `process`, `require`, `fetch` or timers. The
 * memory cap is the module's own bounded memory (quickjs-module.ts).
 */
import type { QuickJSContext } from 'quickjs-emscripten-core'
import { classifyJsError, GUEST_FILE, type ThrownValue } from './guest-error'
import { OutputBuffer } from './output-buffer'
import { GuestThrow, QuickJsBindings } from './quickjs-bindings'
import {
  BASE_BYTES,
  capReached,
  hostFailure,
  loadBounded,
  type BoundedModule,
} from './quickjs-module'
import { consumeThrown, findHandler, resultOf, settle } from './quickjs-values'
import { WarmJsContext } from './quickjs-warm'
import {
  RUN_DEFAULTS,
  type GuestOutcome,
  type GuestRuntime,
  type RunControl,
  type RunOutcome,
  type RunRequest,
} from './runtime'
import { WarmCache } from './warm-cache'

const DEFAULT_STACK_BYTES = 64 * 1024

export class QuickJsRuntime implements GuestRuntime {
  readonly name = 'js' as const

  private broken = false
  /** Warm function contexts by warm key, least recently used first. */
  private readonly warm = new WarmCache<WarmJsContext>()
  /** One module an evicted warm context left, for the next new one. */
  private spare: BoundedModule | undefined

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

  /**
   * Bytes the jobs' module memory grew past its start; it never shrinks, so the owner may
   * recycle. Warm contexts have modules of their own, counted by `warmBytes`.
   */
  retainedBytes(): number {
    return this.bounded.memory.buffer.byteLength - BASE_BYTES
  }

  warmBytes(): number {
    return this.warm.bytes()
  }

  dropWarm(keepBytes: number): void {
    this.warm.dropTo(keepBytes)
    // Nothing kept at all: not even a module an evicted context was freed from.
    if (keepBytes === 0) this.spare = undefined
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const started = Date.now()
    const output = new OutputBuffer(request.outputLimit)
    const done = (outcome: GuestOutcome): RunOutcome => ({
      ...outcome,
      output: output.toString(),
      durationMs: Date.now() - started,
    })
    if (this.broken) {
      return {
        ok: false,
        error: { code: 'WORKER_CRASHED', message: 'QuickJS was damaged by an earlier job' },
        output: '',
        durationMs: 0,
        poisoned: true,
      }
    }
    if (request.warm && request.mode === 'function')
      return done(await this.runWarm(request.warm.key, request, control, output))
    return done(await this.runFresh(request, control, output))
  }

  /** A function call on its version's warm context, made first if there is none. */
  private async runWarm(
    key: string,
    request: RunRequest,
    control: RunControl,
    output: OutputBuffer,
  ): Promise<GuestOutcome> {
    let context = this.warm.take(key)
    if (context && !context.serves(request)) {
      this.warm.discard(key)
      context = undefined
    }
    if (!context) {
      const spare = this.spare
      this.spare = undefined
      const opened = await WarmJsContext.open(request, control, {
        stackBytes: this.stackBytes,
        output,
        spare,
        recycle: (bounded) => (this.spare = bounded),
      })
      if (!(opened instanceof WarmJsContext)) return opened
      context = opened
      this.warm.put(key, context)
    }
    const outcome = context.call(request, control, output)
    if (!context.reusable(outcome)) this.warm.discard(key)
    return outcome
  }

  /** A job (or a call without a warm key) in a fresh runtime and context, freed afterwards. */
  private async runFresh(
    request: RunRequest,
    control: RunControl,
    output: OutputBuffer,
  ): Promise<GuestOutcome> {
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
    return outcome
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
      bindings.install(JSON.stringify(request.input ?? {}), request.secrets)
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
      const found = findHandler(ctx)
      if (found.error) return fail(consumeThrown(ctx, found.error))
      const input = ctx.getProp(ctx.global, 'INPUT')
      const call = ctx.callFunction(found.value, ctx.undefined, input)
      input.dispose()
      found.value.dispose()
      if (call.error) return fail(consumeThrown(ctx, call.error))
      settled = settle(ctx, call.value)
      if ('thrown' in settled) return fail(settled.thrown)
    }
    return resultOf(ctx, bindings, settled.value, fail)
  }
}
