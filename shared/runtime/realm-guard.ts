/**
 * What every realm that hosts Pyodide does once Pyodide has loaded, in Node and in browsers: any
 * JS object that reaches Python leads to `Function`, to `Object.prototype` (every JS error Python
 * catches carries it) and from there to the realm's shared intrinsics. So code generation from
 * strings is blocked (every Function constructor and eval), the named globals are shadowed with
 * undefined, and the intrinsics are frozen: a guest can no longer plant accessors that run inside
 * the host's code, nor replace what the host calls. The stand-ins keep the real prototypes:
 * Pyodide calls into JS through Function.prototype.apply and friends.
 */

export const denied = (what: string) =>
  function denied(): never {
    throw new Error(`${what} is not available in the sandbox`)
  }

export function blockCodeGeneration(): void {
  const functionKinds = [
    function () {},
    async function () {},
    function* () {},
    async function* () {},
  ]
  for (const fn of functionKinds) {
    const prototype = Object.getPrototypeOf(fn) as object
    Object.defineProperty(prototype, 'constructor', {
      value: standIn('the Function constructor', prototype),
      writable: false,
      configurable: false,
    })
  }
  Object.defineProperty(globalThis, 'Function', {
    value: standIn('the Function constructor', Function.prototype),
    writable: false,
    configurable: false,
  })
  Object.defineProperty(globalThis, 'eval', {
    value: denied('eval'),
    writable: false,
    configurable: false,
  })
}

/** Removes globals, or shadows them with a fixed undefined where they live on a prototype. */
export function removeGlobals(names: readonly string[], keep: readonly string[] = []): void {
  const global = globalThis as Record<string, unknown>
  for (const name of names) {
    try {
      delete global[name]
    } catch {
      // Non-configurable: shadowed below.
    }
    if (name in globalThis && !keep.includes(name)) {
      Object.defineProperty(globalThis, name, {
        value: undefined,
        writable: false,
        configurable: false,
      })
    }
  }
}

/** A refusing function that still answers `.prototype` like the constructor it replaces. */
function standIn(what: string, prototype: object): () => never {
  const fn = denied(what)
  Object.defineProperty(fn, 'prototype', { value: prototype })
  return fn
}

/** The language's own globals, and the platform classes both hosts share. */
const INTRINSIC_GLOBALS = [
  'Object',
  'Function',
  'Array',
  'Number',
  'Boolean',
  'String',
  'Symbol',
  'BigInt',
  'Date',
  'RegExp',
  'Promise',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Atomics',
  'Intl',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Iterator',
  'WebAssembly',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'encodeURI',
  'encodeURIComponent',
  'decodeURI',
  'decodeURIComponent',
  'escape',
  'unescape',
  'TextEncoder',
  'TextDecoder',
  'URL',
  'URLSearchParams',
  'EventTarget',
  'Event',
  'MessageEvent',
  'MessagePort',
  'MessageChannel',
  'AbortController',
  'AbortSignal',
  'DOMException',
  'structuredClone',
  'queueMicrotask',
] as const

/**
 * Properties that ordinary code assigns on its own objects although a prototype already has them
 * (`descriptors.constructor = …`, `error.name = …`). Frozen, such an assignment would throw (the
 * "override mistake"), so these become accessors whose setter defines the property on the object
 * assigned to, and refuses only an assignment to the intrinsic itself.
 */
const OVERRIDABLE: [() => object, readonly string[]][] = [
  [
    () => Object.prototype,
    ['constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty'],
  ],
  [() => Function.prototype, ['toString']],
  ...[Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map(
    (E): [() => object, readonly string[]] => [
      () => E.prototype,
      ['constructor', 'name', 'message', 'toString'],
    ],
  ),
]

/** Prototypes the language keeps out of sight of the globals. */
function hiddenIntrinsics(): unknown[] {
  const found: unknown[] = [
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(async function* () {}),
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map().entries()),
    Object.getPrototypeOf(new Set().values()),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(/x/[Symbol.matchAll]('')),
  ]
  try {
    // Iterator helpers, where the engine has them: their prototypes hide behind results.
    const wrapped = (globalThis as { Iterator?: { from(it: object): object } }).Iterator?.from({
      next: () => ({ done: true, value: undefined }),
    })
    const values = [].values() as unknown as { map?: (f: (x: unknown) => unknown) => object }
    if (wrapped) found.push(Object.getPrototypeOf(wrapped))
    if (values.map) found.push(Object.getPrototypeOf(values.map((x) => x)))
  } catch {
    // No iterator helpers in this engine.
  }
  return found
}

/**
 * Freezes everything reachable from the realm's intrinsics (their properties, accessors and
 * prototypes), fixes their global bindings, and keeps the override mistake from breaking
 * Pyodide. `Error.stackTraceLimit` stays writable: engines read it as plain data and Pyodide
 * raises it while building an error; `Error` itself takes no new properties, so no guest can set
 * `Error.prepareStackTrace` and read the host's call stack.
 */
export function freezeIntrinsics(): void {
  const global = globalThis as Record<string, unknown>
  const reachable = new Set<object>()
  const pending: unknown[] = [
    ...INTRINSIC_GLOBALS.map((name) => global[name]),
    ...hiddenIntrinsics(),
  ]
  while (pending.length > 0) {
    const value = pending.pop()
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue
    if (reachable.has(value)) continue
    reachable.add(value)
    pending.push(Object.getPrototypeOf(value))
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key)
      if (descriptor) pending.push(descriptor.value, descriptor.get, descriptor.set)
    }
  }
  for (const [target, names] of OVERRIDABLE) {
    for (const name of names) allowOverride(target(), name)
  }
  for (const value of reachable) {
    if (value === Error) freezeError()
    else Object.freeze(value)
  }
  for (const name of INTRINSIC_GLOBALS) {
    const descriptor = Reflect.getOwnPropertyDescriptor(globalThis, name)
    if (descriptor && 'value' in descriptor && descriptor.configurable) {
      Object.defineProperty(globalThis, name, { writable: false, configurable: false })
    }
  }
}

function freezeError(): void {
  for (const key of Reflect.ownKeys(Error)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(Error, key)
    if (!descriptor?.configurable) continue
    const writable = key === 'stackTraceLimit'
    Object.defineProperty(Error, key, {
      configurable: false,
      ...('value' in descriptor && { writable: writable && descriptor.writable === true }),
    })
  }
  Object.preventExtensions(Error)
}

function allowOverride(target: object, name: string): void {
  const descriptor = Reflect.getOwnPropertyDescriptor(target, name)
  if (!descriptor || !('value' in descriptor) || !descriptor.writable || !descriptor.configurable)
    return
  const value: unknown = descriptor.value
  Object.defineProperty(target, name, {
    get: function get() {
      return value
    },
    set: function set(this: unknown, next: unknown) {
      if (this === target || (typeof this !== 'object' && typeof this !== 'function') || !this)
        throw new TypeError(`Cannot assign to read only property '${name}' of a frozen intrinsic`)
      Object.defineProperty(this, name, {
        value: next,
        writable: true,
        enumerable: true,
        configurable: true,
      })
    },
    enumerable: descriptor.enumerable === true,
    configurable: false,
  })
}
