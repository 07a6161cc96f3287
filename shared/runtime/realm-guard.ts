/**
 * What every realm that hosts Pyodide does once Pyodide has loaded, in Node and in browsers: any
 * JS object that reaches Python leads to `Function`, and from there to the realm's globals. So code
 * generation from strings is blocked (every Function constructor and eval), and the named globals
 * are shadowed with undefined. The stand-ins keep the real prototypes: Pyodide calls into JS
 * through Function.prototype.apply and friends.
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
