/**
 * JavaScript jobs in QuickJS (quickjs-emscripten, release-sync variant). Every job gets a fresh
 * runtime and context with a memory limit, a stack limit and an interrupt deadline; the guest sees
 * only the language, `console` and `INPUT` — no `process`, `require`, `fetch` or timers.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync'
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'
import type { JobError } from '../job'
import type { HostBridge } from '../host-call'
import type { JsonValue } from '../json'
import { hostCallFromGuest } from './host-dispatch'
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

/**
 * Installs `console` and `INPUT` without leaving the host callback reachable from the guest, and
 * returns the serializer for the result, captured before guest code could replace JSON.stringify.
 * One eval per job: parsing is a real share of a trivial job's cost.
 */
const PRELUDE = `(function (write, inputJson, hostCall) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const call = (request) => {
    const reply = parse(hostCall(stringify(request)));
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  };
  globalThis.db = Object.freeze({
    get: (key) => call({ op: 'db.get', key: String(key) }),
    set: (key, value, options) => call({ op: 'db.set', key: String(key), value: value === undefined ? null : value, ...(options && options.ttl !== undefined ? { ttl: Number(options.ttl) } : {}) }),
    delete: (key) => call({ op: 'db.delete', key: String(key) }),
    list: (options) => call({ op: 'db.list', ...(options || {}) }),
  });
  const fmt = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return v.stack ? v.name + ': ' + v.message + '\\n' + v.stack : String(v);
    if (typeof v === 'object' && v !== null) { try { return stringify(v); } catch { return String(v); } }
    return String(v);
  };
  const line = (...args) => { write(args.map(fmt).join(' ') + '\\n'); };
  globalThis.console = Object.freeze({ log: line, info: line, warn: line, error: line, debug: line });
  globalThis.INPUT = JSON.parse(inputJson);
  return (v) => { const s = stringify(v); return s === undefined ? 'null' : s; };
})`

const DEFAULT_STACK_BYTES = 64 * 1024

/** Function mode: call the handler the code defined with the request (INPUT). */
const HANDLE = `typeof handle === 'function' ? handle(INPUT) : (() => { throw new Error(${JSON.stringify(NO_HANDLER)}) })()`

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
    private readonly module: QuickJSWASMModule,
    private readonly stackBytes: number,
  ) {}

  /**
   * `stackBytes` bounds guest recursion. Wasm frames also use the host thread's native stack, so
   * keep it at most 1/16 of that: 64 KiB suits a browser worker (~1 MiB), 1 MiB a Node thread
   * started with `resourceLimits.stackSizeMb: 16`.
   */
  static async load(options: { stackBytes?: number } = {}): Promise<QuickJsRuntime> {
    return new QuickJsRuntime(
      await newQuickJSWASMModuleFromVariant(variant),
      options.stackBytes ?? DEFAULT_STACK_BYTES,
    )
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
    const runtime = this.module.newRuntime()
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
    const setup = this.installPrelude(
      ctx,
      output,
      JSON.stringify(request.input ?? {}),
      control.host,
    )
    if ('thrown' in setup) return fail(setup.thrown)
    const serializer = setup.serializer
    try {
      return this.evaluate(ctx, request, serializer, fail)
    } finally {
      serializer.dispose()
    }
  }

  private evaluate(
    ctx: QuickJSContext,
    request: RunRequest,
    serializer: QuickJSHandle,
    fail: (thrown: ThrownValue) => GuestOutcome,
  ): GuestOutcome {
    const evaluated = ctx.evalCode(request.code, `${GUEST_FILE}.js`, { type: 'global' })
    if (evaluated.error) {
      const thrown = dumpThrown(ctx, evaluated.error)
      evaluated.error.dispose()
      return fail(thrown)
    }
    let settled = settle(ctx, evaluated.value)
    if ('thrown' in settled) return fail(settled.thrown)
    if (request.mode === 'function') {
      settled.value.dispose()
      const call = ctx.evalCode(HANDLE, 'invoke.js', { type: 'global' })
      if (call.error) {
        const thrown = dumpThrown(ctx, call.error)
        call.error.dispose()
        return fail(thrown)
      }
      settled = settle(ctx, call.value)
      if ('thrown' in settled) return fail(settled.thrown)
    }
    const json = stringify(ctx, serializer, settled.value)
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

  private installPrelude(
    ctx: QuickJSContext,
    output: OutputBuffer,
    inputJson: string,
    host: HostBridge | undefined,
  ): { serializer: QuickJSHandle } | { thrown: ThrownValue } {
    const prelude = ctx.evalCode(PRELUDE, 'prelude.js', { type: 'global' })
    if (prelude.error) {
      const thrown = dumpThrown(ctx, prelude.error)
      prelude.error.dispose()
      return { thrown }
    }
    const write = ctx.newFunction('write', (text) => {
      output.write(ctx.getString(text))
    })
    const input = ctx.newString(inputJson)
    const hostCall = ctx.newFunction('hostCall', (text) =>
      ctx.newString(JSON.stringify(hostCallFromGuest(host, ctx.getString(text)))),
    )
    const called = ctx.callFunction(prelude.value, ctx.undefined, write, input, hostCall)
    for (const handle of [prelude.value, write, input, hostCall]) handle.dispose()
    if (called.error) {
      const thrown = dumpThrown(ctx, called.error)
      called.error.dispose()
      return { thrown }
    }
    return { serializer: called.value }
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
      const thrown = dumpThrown(ctx, ran.error)
      ran.error.dispose()
      value.dispose()
      return { thrown }
    }
    state = ctx.getPromiseState(value)
  }
  value.dispose()
  if (state.type === 'fulfilled') return { value: state.value }
  if (state.type === 'rejected') {
    const thrown = dumpThrown(ctx, state.error)
    state.error.dispose()
    return { thrown }
  }
  return { thrown: { name: 'Error', message: 'the promise the job evaluated to never settled' } }
}

function stringify(
  ctx: QuickJSContext,
  serializer: QuickJSHandle,
  value: QuickJSHandle,
): { text: string } | { thrown: ThrownValue } {
  const called = ctx.callFunction(serializer, ctx.undefined, value)
  if (called.error) {
    const thrown = dumpThrown(ctx, called.error)
    called.error.dispose()
    return { thrown }
  }
  const text = ctx.getString(called.value)
  called.value.dispose()
  return { text }
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
