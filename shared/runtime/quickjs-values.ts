/**
 * Reading a QuickJS guest's values out as plain data: a promise settled by running the microtask
 * queue, a thrown value (guests may throw anything, not only Errors), the result as JSON within
 * the limits every runtime applies. Shared by one-off jobs and warm function contexts.
 */
import type { QuickJSContext, QuickJSHandle, VmCallResult } from 'quickjs-emscripten-core'
import type { JsonValue } from '../protocol/json'
import type { ThrownValue } from './guest-error'
import { resultTooLarge } from './limits'
import { GuestThrow, type QuickJsBindings } from './quickjs-bindings'
import { NO_HANDLER, type GuestOutcome } from './runtime'

type Settled = { value: QuickJSHandle } | { thrown: ThrownValue }

/** Lets an async guest finish: runs the microtask queue until its promise settles. */
export function settle(ctx: QuickJSContext, value: QuickJSHandle): Settled {
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

/** The `handle` the code defined as a global, or an error for the guest when it defined none. */
export function findHandler(ctx: QuickJSContext): VmCallResult<QuickJSHandle> {
  const handler = ctx.getProp(ctx.global, 'handle')
  if (ctx.typeof(handler) === 'function') return { value: handler }
  handler.dispose()
  return { error: ctx.newError(NO_HANDLER) }
}

/**
 * The outcome for a settled value: its JSON, or RESULT_NOT_JSON / RESULT_TOO_LARGE. Consumes
 * `value`; `fail` classifies what the guest threw while being serialized.
 */
export function resultOf(
  ctx: QuickJSContext,
  bindings: QuickJsBindings,
  value: QuickJSHandle,
  fail: (thrown: ThrownValue) => GuestOutcome,
): GuestOutcome {
  let json: { text: string } | { thrown: ThrownValue }
  try {
    json = { text: bindings.serialize(value) }
  } catch (err) {
    if (!(err instanceof GuestThrow)) throw err
    json = { thrown: consumeThrown(ctx, err.handle) }
  } finally {
    value.dispose()
  }
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
  const tooLarge = resultTooLarge(json.text.length)
  if (tooLarge) return { ok: false, error: tooLarge }
  return { ok: true, result: JSON.parse(json.text) as JsonValue }
}

export function consumeThrown(ctx: QuickJSContext, handle: QuickJSHandle): ThrownValue {
  const thrown = dumpThrown(ctx, handle)
  handle.dispose()
  return thrown
}

/** Reads an exception out of the VM as plain data. */
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
