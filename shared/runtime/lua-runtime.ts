/**
 * Lua 5.4 jobs on wasmoon's wasm build, through the raw C API. Each job gets a fresh lua_State
 * whose allocator enforces the memory cap and whose count hook enforces the deadline; the guest sees
 * only what `lua-sandbox.ts` lists.
 */
import type { HostCall } from '../protocol/host-call'
import type { JobError } from '../protocol/job'
import type { JsonObject, JsonValue } from '../protocol/json'
import { guestLine, GUEST_FILE } from './guest-error'
import { hostCallFromGuest } from './host-dispatch'
import { MAX_RESULT_CHARS } from './limits'
import { OPENED_LIBRARIES, SAFE_OS_FUNCTIONS, SANDBOX_PRELUDE } from './lua-sandbox'
import { NotJsonError, pushJson, toJson } from './lua-values'
import { LUA, LuaWasm } from './lua-wasm'
import { OutputBuffer } from './output-buffer'
import {
  NO_HANDLER,
  stopReason,
  type GuestOutcome,
  type GuestRuntime,
  type RunControl,
  type RunOutcome,
  type RunRequest,
} from './runtime'

/** Instructions between deadline checks: small enough to stop within a millisecond. */
const HOOK_EVERY = 1000
/** A guest that swallows the deadline error this long is torn out of the interpreter. */
const ABORT_AFTER_MS = 50

interface JobState {
  used: number
  cap: number
  output: OutputBuffer
  control: RunControl
  input: JsonObject | null
  stopRaisedAt?: number
  /**
   * Set once the job's outcome exists. Closing the state still runs `__gc` finalizers: they find
   * no database and write no output. (Lua turns hooks off inside finalizers, so one that never
   * returns holds the thread until the owner's deadline kill.)
   */
  ended?: boolean
}

/** Thrown through the interpreter when a guest keeps running past its deadline. */
class GuestAbort extends Error {
  override name = 'GuestAbort'
}

type Fn = number

export class LuaRuntime implements GuestRuntime {
  readonly name = 'lua' as const
  private job: JobState | undefined
  private poisoned = false
  private readonly fn: Record<
    | 'alloc'
    | 'hook'
    | 'print'
    | 'write'
    | 'encode'
    | 'decode'
    | 'traceback'
    | 'bootstrap'
    | 'dbGet'
    | 'dbSet'
    | 'dbDelete'
    | 'dbList',
    Fn
  >

  /** The module's memory when loaded. */
  private readonly baseBytes: number

  private constructor(private readonly lua: LuaWasm) {
    const m = lua.m
    this.baseBytes = m.HEAPU8.buffer.byteLength
    this.fn = {
      alloc: m.addFunction(this.alloc, 'iiiii'),
      hook: m.addFunction(this.hook, 'vii'),
      print: m.addFunction(this.hostFunction(this.print), 'ii'),
      write: m.addFunction(this.hostFunction(this.write), 'ii'),
      encode: m.addFunction(this.hostFunction(this.encode), 'ii'),
      decode: m.addFunction(this.hostFunction(this.decode), 'ii'),
      dbGet: m.addFunction(
        this.hostFunction((L) => this.db(L, { op: 'db.get', key: this.argString(L, 1, 'key') })),
        'ii',
      ),
      dbSet: m.addFunction(
        this.hostFunction((L) => {
          const ttl =
            this.lua.m._lua_type(L, 3) === LUA.TNUMBER
              ? this.lua.m._lua_tonumberx(L, 3, 0)
              : undefined
          return this.db(L, {
            op: 'db.set',
            key: this.argString(L, 1, 'key'),
            value: toJson(this.lua, L, 2),
            ...(ttl !== undefined && { ttl }),
          })
        }),
        'ii',
      ),
      dbDelete: m.addFunction(
        this.hostFunction((L) => this.db(L, { op: 'db.delete', key: this.argString(L, 1, 'key') })),
        'ii',
      ),
      dbList: m.addFunction(
        this.hostFunction((L) => {
          const { m } = this.lua
          const prefix = m._lua_type(L, 1) === LUA.TSTRING ? this.lua.readString(L, 1) : undefined
          const limit =
            m._lua_type(L, 2) === LUA.TNUMBER ? Math.trunc(m._lua_tonumberx(L, 2, 0)) : undefined
          const cursor = m._lua_type(L, 3) === LUA.TSTRING ? this.lua.readString(L, 3) : undefined
          return this.db(L, {
            op: 'db.list',
            ...(prefix !== undefined && { prefix }),
            ...(limit !== undefined && { limit }),
            ...(cursor !== undefined && { cursor }),
          })
        }),
        'ii',
      ),
      traceback: m.addFunction(this.traceback, 'ii'),
      bootstrap: m.addFunction(this.hostFunction(this.bootstrap), 'ii'),
    }
  }

  static async load(wasmUrl?: string): Promise<LuaRuntime> {
    return new LuaRuntime(await LuaWasm.load(wasmUrl))
  }

  /**
   * Bytes the module's memory grew past its start. Each job's allocations are capped by `alloc`,
   * but the wasm memory they grew never shrinks, so the owner may replace the thread.
   */
  retainedBytes(): number {
    return this.lua.m.HEAPU8.buffer.byteLength - this.baseBytes
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const started = Date.now()
    const job: JobState = {
      used: 0,
      cap: request.memoryBytes,
      output: new OutputBuffer(request.outputLimit),
      control,
      input: request.input,
    }
    const done = (outcome: GuestOutcome): RunOutcome => ({
      ...outcome,
      output: job.output.toString(),
      durationMs: Date.now() - started,
    })
    if (this.poisoned) {
      return done({
        ok: false,
        error: {
          code: 'WORKER_CRASHED',
          message: 'the Lua interpreter was damaged by an earlier job',
        },
        poisoned: true,
      })
    }

    const m = this.lua.m
    this.job = job
    const L = m._lua_newstate(this.fn.alloc, 0)
    if (!L) {
      this.job = undefined
      return done({
        ok: false,
        error: { code: 'OUT_OF_MEMORY', message: 'not enough memory to start Lua' },
      })
    }
    let outcome: GuestOutcome
    try {
      outcome = this.execute(L, request, job)
    } catch (err) {
      this.poisoned = true
      const message = err instanceof Error ? err.message : String(err)
      outcome =
        err instanceof GuestAbort
          ? { ok: false, error: stopReason(control, request.timeoutMs), poisoned: true }
          : {
              ok: false,
              error: { code: 'WORKER_CRASHED', message: `Lua failed: ${message}` },
              poisoned: true,
            }
    }
    job.ended = true
    if (!this.poisoned) {
      try {
        m._lua_close(L)
      } catch (err) {
        // The wasm module failed while closing: the state is half closed, so the module goes too.
        this.poisoned = true
        const message = err instanceof Error ? err.message : String(err)
        outcome = outcome.ok
          ? {
              ok: false,
              error: { code: 'WORKER_CRASHED', message: `Lua failed closing the job: ${message}` },
              poisoned: true,
            }
          : { ...outcome, poisoned: true }
      }
    }
    this.job = undefined
    return done(outcome)
  }

  private execute(L: number, request: RunRequest, job: JobState): GuestOutcome {
    const { m } = this.lua
    m._lua_sethook(L, this.fn.hook, LUA.MASKCOUNT, HOOK_EVERY)

    m._lua_pushcclosure(L, this.fn.bootstrap, 0)
    const setup = m._lua_pcallk(L, 0, 0, 0, 0, 0)
    if (setup !== LUA.OK) return { ok: false, error: this.failure(L, setup, request) }

    m._lua_pushcclosure(L, this.fn.traceback, 0)
    const code = this.lua.alloc(request.code)
    const loaded = m._luaL_loadbufferx(
      L,
      code.ptr,
      code.size,
      this.lua.name(`=${GUEST_FILE}`),
      this.lua.name('t'),
    )
    m._free(code.ptr)
    if (loaded !== LUA.OK) return { ok: false, error: this.failure(L, loaded, request) }

    let status = m._lua_pcallk(L, 0, LUA.MULTRET, 1, 0, 0)
    if (status === LUA.OK && request.mode === 'function') {
      // Function mode: the chunk defined handle(req); call it with the request (INPUT).
      m._lua_settop(L, 1)
      if (m._lua_getglobal(L, this.lua.name('handle')) !== LUA.TFUNCTION) {
        return { ok: false, error: { code: 'GUEST_ERROR', message: NO_HANDLER } }
      }
      m._lua_getglobal(L, this.lua.name('INPUT'))
      status = m._lua_pcallk(L, 1, 1, 1, 0, 0)
    }
    if (job.stopRaisedAt !== undefined)
      return { ok: false, error: stopReason(job.control, request.timeoutMs) }
    if (status !== LUA.OK) return { ok: false, error: this.failure(L, status, request) }
    return this.results(L)
  }

  /** The chunk's return values: none → null, one → itself, several → an array. */
  private results(L: number): GuestOutcome {
    const count = this.lua.m._lua_gettop(L) - 1
    let result: JsonValue
    try {
      if (count <= 0) result = null
      else if (count === 1) result = toJson(this.lua, L, 2)
      else result = Array.from({ length: count }, (_, i) => toJson(this.lua, L, i + 2))
    } catch (err) {
      if (!(err instanceof NotJsonError)) throw err
      return {
        ok: false,
        error: {
          code: 'RESULT_NOT_JSON',
          message: `the result cannot be sent as JSON: ${err.message}`,
        },
      }
    }
    const size = JSON.stringify(result).length
    if (size > MAX_RESULT_CHARS) {
      return {
        ok: false,
        error: {
          code: 'RESULT_TOO_LARGE',
          message: `the result is ${size} characters of JSON; the limit is ${MAX_RESULT_CHARS}`,
        },
      }
    }
    return { ok: true, result }
  }

  private failure(L: number, status: number, request: RunRequest): JobError {
    const job = this.job
    if (job?.stopRaisedAt !== undefined) return stopReason(job.control, request.timeoutMs)
    if (status === LUA.ERRMEM) {
      return {
        code: 'OUT_OF_MEMORY',
        message: `not enough memory: the job is limited to ${Math.round(request.memoryBytes / 1048576)} MiB`,
      }
    }
    const m = this.lua.m
    const text =
      m._lua_type(L, -1) === LUA.TSTRING
        ? this.lua.readString(L, -1)
        : this.lua.toDisplayString(L, -1)
    const [first = text, ...rest] = text.split('\nstack traceback:\n')
    const traceback = rest.length ? `stack traceback:\n${rest.join('\n')}` : undefined
    const line = guestLine(first, traceback)
    const base = {
      message: first,
      ...(line !== undefined && { line }),
      ...(traceback && { traceback }),
    }
    if (status === LUA.ERRSYNTAX) return { code: 'SYNTAX_ERROR', ...base }
    if (/stack overflow/.test(first)) return { code: 'STACK_OVERFLOW', ...base }
    if (/not enough memory/.test(first)) return { code: 'OUT_OF_MEMORY', ...base }
    return { code: 'GUEST_ERROR', ...base }
  }

  // ── functions the interpreter calls back ────────────────────────────────────

  /** lua_Alloc: realloc with a per-job byte budget. When `ptr` is 0, `osize` is a type tag. */
  private readonly alloc = (_ud: number, ptr: number, osize: number, nsize: number): number => {
    const m = this.lua.m
    const job = this.job
    if (nsize === 0) {
      if (ptr) {
        m._free(ptr)
        if (job) job.used -= osize
      }
      return 0
    }
    const delta = ptr ? nsize - osize : nsize
    if (job && delta > 0 && job.used + delta > job.cap) return 0
    const out = m._realloc(ptr, nsize)
    if (out && job) job.used += delta
    return out
  }

  /** Count hook: stops the guest at its deadline or on cancel, and tears it out if it resists. */
  private readonly hook = (L: number): void => {
    const job = this.job
    if (!job) return
    const now = Date.now()
    if (now <= job.control.deadline && !job.control.isCancelled()) return
    if (job.stopRaisedAt === undefined) job.stopRaisedAt = now
    else if (now - job.stopRaisedAt > ABORT_AFTER_MS)
      throw new GuestAbort('guest ignored its deadline')
    this.raise(L, job.control.isCancelled() ? 'job was cancelled' : 'job exceeded its timeout')
  }

  /** Message handler for the guest chunk: appends a traceback to runtime errors. */
  private readonly traceback = (L: number): number => {
    const m = this.lua.m
    const msg =
      m._lua_type(L, 1) === LUA.TSTRING ? m._lua_tolstring(L, 1, 0) : m._luaL_tolstring(L, 1, 0)
    m._luaL_traceback(L, L, msg, 1)
    return 1
  }

  /**
   * Wraps a callback so that JS errors become Lua errors. Emscripten implements longjmp by throwing
   * a number; those must pass through untouched.
   */
  private hostFunction(body: (L: number) => number): (L: number) => number {
    return (L) => {
      try {
        return body(L)
      } catch (err) {
        if (typeof err === 'number' || err instanceof GuestAbort) throw err
        return this.raise(L, err instanceof Error ? err.message : String(err))
      }
    }
  }

  private raise(L: number, message: string): never {
    this.lua.pushString(L, message)
    this.lua.m._lua_error(L)
    throw new Error('lua_error returned')
  }

  private readonly bootstrap = (L: number): number => {
    const { m } = this.lua
    const name = (s: string) => this.lua.name(s)
    m._luaopen_base(L)
    m._lua_settop(L, 0)
    const open = {
      string: m._luaopen_string,
      table: m._luaopen_table,
      math: m._luaopen_math,
      utf8: m._luaopen_utf8,
      coroutine: m._luaopen_coroutine,
    }
    for (const lib of OPENED_LIBRARIES) {
      open[lib].call(m, L)
      m._lua_setglobal(L, name(lib))
    }
    m._luaopen_os(L)
    m._lua_createtable(L, 0, SAFE_OS_FUNCTIONS.length)
    for (const fn of SAFE_OS_FUNCTIONS) {
      m._lua_getfield(L, -2, name(fn))
      m._lua_setfield(L, -2, name(fn))
    }
    m._lua_setglobal(L, name('os'))
    m._lua_settop(L, 0)

    this.setFunction(L, 'print', this.fn.print)
    this.setTable(L, 'io', { write: this.fn.write })
    this.setTable(L, 'json', { encode: this.fn.encode, decode: this.fn.decode })
    this.setTable(L, 'db', {
      get: this.fn.dbGet,
      set: this.fn.dbSet,
      delete: this.fn.dbDelete,
      list: this.fn.dbList,
    })
    pushJson(this.lua, L, this.job?.input ?? {})
    m._lua_setglobal(L, name('INPUT'))

    const prelude = this.lua.alloc(SANDBOX_PRELUDE)
    const status = m._luaL_loadbufferx(L, prelude.ptr, prelude.size, name('=sandbox'), name('t'))
    m._free(prelude.ptr)
    if (status !== LUA.OK)
      throw new Error(`sandbox prelude failed to load: ${this.lua.readString(L, -1)}`)
    m._lua_callk(L, 0, 0, 0, 0)
    return 0
  }

  private setFunction(L: number, global: string, fn: Fn): void {
    this.lua.m._lua_pushcclosure(L, fn, 0)
    this.lua.m._lua_setglobal(L, this.lua.name(global))
  }

  private setTable(L: number, global: string, fns: Record<string, Fn>): void {
    const { m } = this.lua
    m._lua_createtable(L, 0, Object.keys(fns).length)
    for (const [key, fn] of Object.entries(fns)) {
      m._lua_pushcclosure(L, fn, 0)
      m._lua_setfield(L, -2, this.lua.name(key))
    }
    m._lua_setglobal(L, this.lua.name(global))
  }

  private readonly print = (L: number): number => {
    const n = this.lua.m._lua_gettop(L)
    const parts: string[] = []
    for (let i = 1; i <= n; i++) {
      parts.push(this.lua.toDisplayString(L, i))
      this.lua.pop(L, 1)
    }
    if (!this.job?.ended) this.job?.output.write(parts.join('\t') + '\n')
    return 0
  }

  private readonly write = (L: number): number => {
    const { m } = this.lua
    const n = m._lua_gettop(L)
    for (let i = 1; i <= n; i++) {
      const type = m._lua_type(L, i)
      if (type !== LUA.TSTRING && type !== LUA.TNUMBER)
        throw new Error(`bad argument #${i} to 'write' (string expected)`)
      const text = this.lua.toDisplayString(L, i)
      if (!this.job?.ended) this.job?.output.write(text)
      this.lua.pop(L, 1)
    }
    return 0
  }

  /** A `db.*` call: one synchronous round trip to the host, its value pushed as the result. */
  private db(L: number, call: HostCall): number {
    if (this.job?.ended) throw new Error('the job has ended: its database line is closed')
    const reply = hostCallFromGuest(this.job?.control.host, JSON.stringify(call))
    if (!reply.ok) throw new Error(reply.error)
    pushJson(this.lua, L, reply.value)
    return 1
  }

  private argString(L: number, index: number, name: string): string {
    const type = this.lua.m._lua_type(L, index)
    if (type !== LUA.TSTRING && type !== LUA.TNUMBER)
      throw new Error(`bad argument #${index} (${name}): a string is expected`)
    const text = this.lua.toDisplayString(L, index)
    this.lua.pop(L, 1)
    return text
  }

  private readonly encode = (L: number): number => {
    let text: string
    try {
      text = JSON.stringify(toJson(this.lua, L, 1))
    } catch (err) {
      throw new Error(`json.encode: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      })
    }
    this.lua.pushString(L, text)
    return 1
  }

  private readonly decode = (L: number): number => {
    if (this.lua.m._lua_type(L, 1) !== LUA.TSTRING) throw new Error('json.decode expects a string')
    let value: JsonValue
    try {
      value = JSON.parse(this.lua.readString(L, 1)) as JsonValue
    } catch (err) {
      throw new Error(`json.decode: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      })
    }
    pushJson(this.lua, L, value)
    return 1
  }
}
