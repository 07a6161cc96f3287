/**
 * Lua 5.4 jobs on wasmoon's wasm build, through the raw C API. Each job gets a fresh lua_State
 * whose allocator enforces the memory cap and whose count hook enforces the deadline; the guest sees
 * only what `lua-sandbox.ts` lists, installed with the host functions of `lua-guest-api.ts`.
 */
import type { JobError } from '../protocol/job'
import type { JsonValue } from '../protocol/json'
import { guestLine, GUEST_FILE } from './guest-error'
import { MAX_RESULT_CHARS } from './limits'
import { GuestAbort, LuaGuestApi, type Fn, type LuaGuestJob } from './lua-guest-api'
import { NotJsonError, toJson } from './lua-values'
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

interface JobState extends LuaGuestJob {
  used: number
  cap: number
  readonly control: RunControl
  stopRaisedAt?: number
}

export class LuaRuntime implements GuestRuntime {
  readonly name = 'lua' as const
  private job: JobState | undefined
  private poisoned = false
  private readonly fn: Record<'alloc' | 'hook' | 'traceback' | 'bootstrap', Fn>

  /** The module's memory when loaded. */
  private readonly baseBytes: number

  private constructor(private readonly lua: LuaWasm) {
    const m = lua.m
    this.baseBytes = m.HEAPU8.buffer.byteLength
    this.fn = {
      alloc: m.addFunction(this.alloc, 'iiiii'),
      hook: m.addFunction(this.hook, 'vii'),
      traceback: m.addFunction(this.traceback, 'ii'),
      bootstrap: new LuaGuestApi(lua, () => this.job).bootstrap,
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
    this.lua.raise(L, job.control.isCancelled() ? 'job was cancelled' : 'job exceeded its timeout')
  }

  /** Message handler for the guest chunk: appends a traceback to runtime errors. */
  private readonly traceback = (L: number): number => {
    const m = this.lua.m
    const msg =
      m._lua_type(L, 1) === LUA.TSTRING ? m._lua_tolstring(L, 1, 0) : m._luaL_tolstring(L, 1, 0)
    m._luaL_traceback(L, L, msg, 1)
    return 1
  }
}
