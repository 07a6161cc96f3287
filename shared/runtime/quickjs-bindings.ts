/**
 * The globals a JavaScript guest gets — `INPUT`, `console`, `db`, `progress` — built from host functions
 * rather than evaluated source: parsing a prelude costs as much as creating the context itself.
 * The intrinsics the host relies on are captured before guest code runs, so a job that replaces
 * `JSON.stringify` or `String` cannot change how its result, output or database calls are read.
 */
import type { QuickJSContext, QuickJSHandle, VmCallResult } from 'quickjs-emscripten-core'
import type { HostBridge } from '../protocol/host-call'
import type { JsonValue } from '../protocol/json'
import { hostCallFromGuest, progressFromGuest } from './host-dispatch'
import type { OutputBuffer } from './output-buffer'

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const

/** A guest exception raised while the host was working for the guest; it propagates unchanged. */
export class GuestThrow {
  constructor(readonly handle: QuickJSHandle) {}
}

export class QuickJsBindings {
  private readonly owned: QuickJSHandle[] = []
  private readonly parse: QuickJSHandle
  private readonly stringify: QuickJSHandle
  private readonly toText: QuickJSHandle
  private readonly toNumber: QuickJSHandle
  private readonly freeze: QuickJSHandle
  private readonly errorPrototype: QuickJSHandle
  private readonly isPrototypeOf: QuickJSHandle

  constructor(
    private readonly ctx: QuickJSContext,
    private output: OutputBuffer,
    private host: HostBridge | undefined,
  ) {
    const json = this.own(ctx.getProp(ctx.global, 'JSON'))
    const object = this.own(ctx.getProp(ctx.global, 'Object'))
    const error = this.own(ctx.getProp(ctx.global, 'Error'))
    this.parse = this.own(ctx.getProp(json, 'parse'))
    this.stringify = this.own(ctx.getProp(json, 'stringify'))
    this.toText = this.own(ctx.getProp(ctx.global, 'String'))
    this.toNumber = this.own(ctx.getProp(ctx.global, 'Number'))
    this.freeze = this.own(ctx.getProp(object, 'freeze'))
    this.errorPrototype = this.own(ctx.getProp(error, 'prototype'))
    const objectPrototype = this.own(ctx.getProp(object, 'prototype'))
    this.isPrototypeOf = this.own(ctx.getProp(objectPrototype, 'isPrototypeOf'))
  }

  /**
   * Defines `INPUT`, a frozen `SECRETS` (the values the work declared; empty when none), a frozen
   * `console`, a frozen `db` and `progress(fraction, message)` on the guest's global object.
   */
  install(inputJson: string, secrets: Readonly<Record<string, string>> = {}): void {
    const ctx = this.ctx
    const input = this.call(this.parse, ctx.undefined, ctx.newString(inputJson))
    ctx.setProp(ctx.global, 'INPUT', input)
    input.dispose()

    this.defineFrozen('SECRETS', (target) => {
      for (const [name, value] of Object.entries(secrets)) {
        const text = ctx.newString(value)
        ctx.setProp(target, name, text)
        text.dispose()
      }
    })

    this.defineFrozen('console', (target) => {
      const line = this.guestFunction('log', (...args) => {
        this.output.write(args.map((arg) => this.format(arg)).join(' ') + '\n')
        return undefined
      })
      for (const name of CONSOLE_METHODS) ctx.setProp(target, name, line)
      line.dispose()
    })

    this.defineFrozen('db', (target) => {
      const method = (name: string, build: (...args: QuickJSHandle[]) => object) => {
        const fn = this.guestFunction(name, (...args) => this.hostCall(build(...args)))
        ctx.setProp(target, name, fn)
        fn.dispose()
      }
      method('get', (key) => ({ op: 'db.get', key: this.text(key) }))
      method('set', (key, value, options) => ({
        op: 'db.set',
        key: this.text(key),
        value: value && ctx.typeof(value) !== 'undefined' ? this.json(value) : null,
        ...this.ttl(options),
      }))
      method('delete', (key) => ({ op: 'db.delete', key: this.text(key) }))
      method('list', (options) => {
        const fields = options && ctx.typeof(options) === 'object' ? this.json(options) : {}
        return { ...(isRecord(fields) ? fields : {}), op: 'db.list' }
      })
    })

    // Reads this.host when called, so a warm context's call reports for that call.
    const progress = this.guestFunction('progress', (fraction, message) => {
      const wrong = progressFromGuest(this.host, this.plain(fraction), this.plain(message))
      return wrong === undefined ? undefined : { error: ctx.newError(wrong) }
    })
    ctx.setProp(ctx.global, 'progress', progress)
    progress.dispose()
  }

  /**
   * A warm context's next call: its console and `db` now reach this call's output and line to the
   * host. Returns the request parsed in the guest (by the JSON.parse the context started with),
   * also set as `INPUT`; the caller disposes it.
   */
  nextCall(output: OutputBuffer, host: HostBridge | undefined, inputJson: string): QuickJSHandle {
    this.output = output
    this.host = host
    const ctx = this.ctx
    const input = this.call(this.parse, ctx.undefined, ctx.newString(inputJson))
    ctx.setProp(ctx.global, 'INPUT', input)
    return input
  }

  /** The JSON text of a result, by the JSON.stringify the context started with; undefined → null. */
  serialize(value: QuickJSHandle): string {
    return this.jsonText(value) ?? 'null'
  }

  dispose(): void {
    for (const handle of this.owned.splice(0)) handle.dispose()
  }

  private own(handle: QuickJSHandle): QuickJSHandle {
    this.owned.push(handle)
    return handle
  }

  private defineFrozen(name: string, fill: (target: QuickJSHandle) => void): void {
    const target = this.ctx.newObject()
    fill(target)
    this.call(this.freeze, this.ctx.undefined, target, false).dispose()
    this.ctx.setProp(this.ctx.global, name, target)
    target.dispose()
  }

  /** A host function whose guest exceptions propagate to the guest caller. */
  private guestFunction(
    name: string,
    body: (...args: QuickJSHandle[]) => QuickJSHandle | VmCallResult<QuickJSHandle> | undefined,
  ): QuickJSHandle {
    return this.ctx.newFunction(name, (...args): VmCallResult<QuickJSHandle> | QuickJSHandle => {
      try {
        return body(...args) ?? this.ctx.undefined
      } catch (err) {
        if (err instanceof GuestThrow) return { error: err.handle }
        throw err
      }
    })
  }

  /**
   * Calls a captured intrinsic; a guest exception becomes a GuestThrow. The argument is consumed
   * unless `consume` is false.
   */
  private call(
    fn: QuickJSHandle,
    self: QuickJSHandle,
    arg: QuickJSHandle,
    consume = true,
  ): QuickJSHandle {
    const result = this.ctx.callFunction(fn, self, arg)
    if (consume) arg.dispose()
    if (result.error) throw new GuestThrow(result.error)
    return result.value
  }

  /** `String(value)` as the guest would see it. */
  private text(value: QuickJSHandle | undefined): string {
    if (!value) return 'undefined'
    if (this.ctx.typeof(value) === 'string') return this.ctx.getString(value)
    const text = this.call(this.toText, this.ctx.undefined, value, false)
    try {
      return this.ctx.getString(text)
    } finally {
      text.dispose()
    }
  }

  /** A guest value as JSON text, by the captured JSON.stringify; undefined when it has none. */
  private jsonText(value: QuickJSHandle): string | undefined {
    const text = this.call(this.stringify, this.ctx.undefined, value, false)
    try {
      return this.ctx.typeof(text) === 'string' ? this.ctx.getString(text) : undefined
    } finally {
      text.dispose()
    }
  }

  private json(value: QuickJSHandle): unknown {
    const text = this.jsonText(value)
    return text === undefined ? undefined : (JSON.parse(text) as unknown)
  }

  private ttl(options: QuickJSHandle | undefined): { ttl?: number } {
    if (!options || this.ctx.typeof(options) !== 'object') return {}
    const ttl = this.ctx.getProp(options, 'ttl')
    if (this.ctx.typeof(ttl) === 'undefined') {
      ttl.dispose()
      return {}
    }
    const number = this.call(this.toNumber, this.ctx.undefined, ttl)
    try {
      return { ttl: this.ctx.getNumber(number) }
    } finally {
      number.dispose()
    }
  }

  private isError(value: QuickJSHandle): boolean {
    const is = this.call(this.isPrototypeOf, this.errorPrototype, value, false)
    try {
      return this.ctx.dump(is) === true
    } finally {
      is.dispose()
    }
  }

  /** How console.log shows one argument: strings as-is, errors with their stack, objects as JSON. */
  private format(value: QuickJSHandle): string {
    const ctx = this.ctx
    const type = ctx.typeof(value)
    if (type === 'string') return ctx.getString(value)
    if (type !== 'object') return this.text(value)
    if (this.isError(value)) {
      const stack = ctx.getProp(value, 'stack')
      const hasStack = ctx.typeof(stack) !== 'undefined' && this.text(stack) !== ''
      const text = hasStack
        ? `${this.property(value, 'name')}: ${this.property(value, 'message')}\n${this.text(stack)}`
        : this.text(value)
      stack.dispose()
      return text
    }
    try {
      return this.jsonText(value) ?? ''
    } catch (err) {
      if (!(err instanceof GuestThrow)) throw err
      err.handle.dispose()
      return this.text(value)
    }
  }

  private property(value: QuickJSHandle, name: string): string {
    const prop = this.ctx.getProp(value, name)
    try {
      return this.text(prop)
    } finally {
      prop.dispose()
    }
  }

  /** A primitive argument as a host value; anything else only by its type (no guest code runs). */
  private plain(handle: QuickJSHandle | undefined): unknown {
    if (handle === undefined) return undefined
    const type = this.ctx.typeof(handle)
    if (type === 'number') return this.ctx.getNumber(handle)
    if (type === 'string') return this.ctx.getString(handle)
    if (type === 'undefined') return undefined
    return { [type]: true }
  }

  private hostCall(request: object): QuickJSHandle | VmCallResult<QuickJSHandle> {
    const reply = hostCallFromGuest(this.host, JSON.stringify(request))
    if (!reply.ok) return { error: this.ctx.newError(reply.error) }
    return this.fromJson(reply.value)
  }

  private fromJson(value: JsonValue | undefined): QuickJSHandle {
    const ctx = this.ctx
    if (value === undefined || value === null) return ctx.null
    if (typeof value === 'string') return ctx.newString(value)
    if (typeof value === 'number') return ctx.newNumber(value)
    if (typeof value === 'boolean') return value ? ctx.true : ctx.false
    return this.call(this.parse, ctx.undefined, ctx.newString(JSON.stringify(value)))
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
