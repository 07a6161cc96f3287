/**
 * Compiles guest code without running it, so a deploy can refuse code that would fail every call:
 * JavaScript with QuickJS's compile-only eval, Lua with `luaL_loadbufferx` (Lua's `load()`, never
 * called), Python with CPython's `compile()` in Pyodide when the host gives a way to load it (the
 * Node host does, in a thread of its own that ends when idle: Pyodide is heavy). Each parser runs
 * inside its wasm sandbox; no guest statement executes, so a host (the orchestrator) may use this
 * in its own thread. The runtimes load on first use.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core'
import type { Runtime } from '../protocol/job'
import { GUEST_FILE, guestLine } from './guest-error'
import { loadBounded, type BoundedModule } from './quickjs-module'
import { consumeThrown } from './quickjs-values'
import { LUA, LuaWasm } from './lua-wasm'

/** A syntax error: the language's message, and the line it names. */
export interface SyntaxProblem {
  message: string
  line?: number
}

/** Compiles Python source without running it (see `CompileCheck`'s `loadPython`). */
export type PythonCompiler = (code: string) => SyntaxProblem | undefined

/** What the parsers may allocate: generous for any code a body limit lets through. */
const CHECK_MEMORY_BYTES = 64 * 1024 * 1024
/** Bounds the parser's recursion on deeply nested code (it then reports a SyntaxError). */
const CHECK_STACK_BYTES = 256 * 1024
/** A parse that takes longer than this is interrupted (QuickJS polls its interrupt handler). */
const CHECK_TIME_MS = 5000

/** `luaL_newstate` (the default allocator); present in wasmoon's build, unused by the runtime. */
type LuaWithNewState = LuaWasm['m'] & { _luaL_newstate(): number }

export class CompileCheck {
  private js: Promise<BoundedModule> | undefined
  private lua: Promise<LuaWasm> | undefined
  private python: Promise<PythonCompiler> | undefined

  /** Without `loadPython`, Python is not checked (its errors come with the first call). */
  constructor(private readonly loadPython?: () => Promise<PythonCompiler>) {}

  /** The syntax error in `code`, or undefined when it compiles (or the language is not checked). */
  async check(runtime: Runtime, code: string): Promise<SyntaxProblem | undefined> {
    if (runtime === 'js') return this.checkJs(code)
    if (runtime === 'lua') return this.checkLua(code)
    if (runtime === 'python' && this.loadPython) {
      this.python ??= this.loadPython()
      return (await this.python)(code)
    }
    return undefined
  }

  private async checkJs(code: string): Promise<SyntaxProblem | undefined> {
    this.js ??= loadBounded(CHECK_MEMORY_BYTES)
    const bounded = await this.js
    try {
      return compileJs(bounded.module, code)
    } catch (err) {
      // The module itself failed (its memory cap, its stack): use a fresh one next time, and say
      // why this code could not be checked rather than pass it.
      this.js = undefined
      const message = err instanceof Error ? err.message : String(err)
      return { message: `the code could not be compiled: ${message}` }
    }
  }

  private async checkLua(code: string): Promise<SyntaxProblem | undefined> {
    this.lua ??= LuaWasm.load()
    const lua = await this.lua
    const m = lua.m as LuaWithNewState
    const L = m._luaL_newstate()
    if (!L) return { message: 'the code could not be compiled: not enough memory' }
    try {
      const text = lua.alloc(code)
      const status = m._luaL_loadbufferx(
        L,
        text.ptr,
        text.size,
        lua.name(`=${GUEST_FILE}`),
        lua.name('t'),
      )
      m._free(text.ptr)
      if (status === LUA.OK) return undefined
      const message =
        status === LUA.ERRMEM ? 'not enough memory to compile the code' : lua.readString(L, -1)
      const line = guestLine(message)
      return { message, ...(line !== undefined && { line }) }
    } finally {
      m._lua_close(L)
    }
  }
}

/** QuickJS's compile-only eval: the global script is parsed to bytecode, and the bytecode freed. */
function compileJs(module: QuickJSWASMModule, code: string): SyntaxProblem | undefined {
  const runtime = module.newRuntime()
  const deadline = Date.now() + CHECK_TIME_MS
  try {
    runtime.setMemoryLimit(CHECK_MEMORY_BYTES)
    runtime.setMaxStackSize(CHECK_STACK_BYTES)
    runtime.setInterruptHandler(() => Date.now() > deadline)
    const ctx = runtime.newContext()
    try {
      const compiled = ctx.evalCode(code, `${GUEST_FILE}.js`, { type: 'global', compileOnly: true })
      if (!compiled.error) {
        compiled.value.dispose()
        return undefined
      }
      const thrown = consumeThrown(ctx, compiled.error)
      const line = guestLine(thrown.stack, thrown.message)
      return {
        message: thrown.name ? `${thrown.name}: ${thrown.message}` : thrown.message,
        ...(line !== undefined && { line }),
      }
    } finally {
      ctx.dispose()
    }
  } finally {
    runtime.dispose()
  }
}
