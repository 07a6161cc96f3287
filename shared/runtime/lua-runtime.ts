/**
 * Lua 5.4 on wasmoon's wasm build, through the raw C API. Each job gets a fresh lua_State (its
 * chunk compiled once per thread, lua-chunks.ts); a function call with a warm key runs on that
 * version's warm state (lua-warm.ts). Every state's allocator account enforces the memory cap and
 * the count hook the deadline; the guest sees only what `lua-sandbox.ts` lists, installed with
 * the host functions of `lua-guest-api.ts`.
 */
import type { JobError } from '../protocol/job'
import { GUEST_FILE } from './guest-error'
import { LuaChunks } from './lua-chunks'
import { GuestAbort, LuaGuestApi, type Fn, type LuaGuestJob } from './lua-guest-api'
import { failureOf, resultsOf } from './lua-outcome'
import { LUA, LuaWasm } from './lua-wasm'
import { WarmLuaState, type LuaAccount } from './lua-warm'
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
import { WarmCache } from './warm-cache'

/** Instructions between deadline checks: small enough to stop within a millisecond. */
const HOOK_EVERY = 1000
/** A guest that swallows the deadline error this long is torn out of the interpreter. */
const ABORT_AFTER_MS = 50

interface JobState extends LuaGuestJob {
  readonly control: RunControl
  stopRaisedAt?: number
}

export class LuaRuntime implements GuestRuntime {
  readonly name = 'lua' as const
  private job: JobState | undefined
  private poisoned = false
  private readonly fn: Record<'alloc' | 'hook' | 'traceback' | 'bootstrap' | 'nextCall', Fn>
  private readonly chunks: LuaChunks
  /** Allocation accounts by the id each state's allocator gets as its userdata. */
  private readonly accounts = new Map<number, LuaAccount>()
  private nextAccount = 0
  /** Warm function states by warm key, least recently used first. */
  private readonly warm = new WarmCache<WarmLuaState>()

  /** The module's memory when loaded. */
  private readonly baseBytes: number

  private constructor(private readonly lua: LuaWasm) {
    const m = lua.m
    this.baseBytes = m.HEAPU8.buffer.byteLength
    this.chunks = new LuaChunks(lua)
    const api = new LuaGuestApi(
      lua,
      () => this.job,
      (L, code, name) => this.chunks.load(L, code, name),
    )
    this.fn = {
      alloc: m.addFunction(this.alloc, 'iiiii'),
      hook: m.addFunction(this.hook, 'vii'),
      traceback: m.addFunction(this.traceback, 'ii'),
      bootstrap: api.bootstrap,
      nextCall: api.nextCall,
    }
  }

  static async load(wasmUrl?: string): Promise<LuaRuntime> {
    return new LuaRuntime(await LuaWasm.load(wasmUrl))
  }

  /**
   * Bytes the module's memory grew past its start, less what warm states hold. Each state's
   * allocations are capped by `alloc`, but the wasm memory they grew never shrinks, so the owner
   * may replace the thread.
   */
  retainedBytes(): number {
    return Math.max(0, this.lua.m.HEAPU8.buffer.byteLength - this.baseBytes - this.warm.bytes())
  }

  warmBytes(): number {
    return this.warm.bytes()
  }

  dropWarm(keepBytes: number): void {
    this.warm.dropTo(keepBytes)
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const started = Date.now()
    const job: JobState = {
      output: new OutputBuffer(request.outputLimit),
      control,
      input: request.input,
      secrets: request.secrets,
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
    this.job = job
    let outcome: GuestOutcome
    try {
      outcome =
        request.warm && request.mode === 'function'
          ? this.runWarm(request.warm.key, request, job)
          : this.runFresh(request, job)
    } finally {
      job.ended = true
      this.job = undefined
    }
    return done(outcome)
  }

  /** A job (or a call without a warm key) in a fresh state, closed before the outcome leaves. */
  private runFresh(request: RunRequest, job: JobState): GuestOutcome {
    const m = this.lua.m
    const state = this.newState(request.memoryBytes)
    if (!state) return outOfMemoryAtStart()
    const { L, id } = state
    let outcome: GuestOutcome
    try {
      outcome = this.execute(L, request, job)
    } catch (err) {
      outcome = this.crashed(err, request, job)
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
    this.accounts.delete(id)
    return outcome
  }

  /** A function call on its version's warm state, made first if there is none. */
  private runWarm(key: string, request: RunRequest, job: JobState): GuestOutcome {
    let state = this.warm.take(key)
    if (state && !state.serves(request)) {
      this.warm.discard(key)
      state = undefined
    }
    if (!state) {
      let opened: WarmLuaState | GuestOutcome
      try {
        opened = this.openWarm(request, job)
      } catch (err) {
        return this.crashed(err, request, job)
      }
      if (!(opened instanceof WarmLuaState)) return opened
      state = opened
      this.warm.put(key, state)
    }
    let outcome: GuestOutcome
    try {
      outcome = this.callWarm(state, request, job)
    } catch (err) {
      outcome = this.crashed(err, request, job)
    }
    const failed = outcome.ok ? undefined : outcome.error.code
    if (job.stopRaisedAt !== undefined || this.poisoned || !state.reusable(failed))
      this.warm.discard(key)
    return outcome
  }

  /** A new state that runs the code's top level and finds `handle`; nothing is kept on failure. */
  private openWarm(request: RunRequest, job: JobState): WarmLuaState | GuestOutcome {
    const m = this.lua.m
    const state = this.newState(request.memoryBytes)
    if (!state) return outOfMemoryAtStart()
    const { L, id } = state
    const fail = (outcome: GuestOutcome): GuestOutcome => {
      // As a job's state closes: its finalizers find no output and no database.
      job.ended = true
      m._lua_close(L)
      this.accounts.delete(id)
      return outcome
    }
    m._lua_sethook(L, this.fn.hook, LUA.MASKCOUNT, HOOK_EVERY)
    m._lua_pushcclosure(L, this.fn.bootstrap, 0)
    const setup = m._lua_pcallk(L, 0, 0, 0, 0, 0)
    if (setup !== LUA.OK) return fail({ ok: false, error: this.failure(L, setup, request) })
    m._lua_pushcclosure(L, this.fn.traceback, 0)
    const loaded = this.chunks.load(L, request.code, `=${GUEST_FILE}`)
    if (loaded !== LUA.OK) return fail({ ok: false, error: this.failure(L, loaded, request) })
    const status = m._lua_pcallk(L, 0, 0, 1, 0, 0)
    if (job.stopRaisedAt !== undefined)
      return fail({ ok: false, error: stopReason(job.control, request.timeoutMs) })
    if (status !== LUA.OK) return fail({ ok: false, error: this.failure(L, status, request) })
    if (m._lua_getglobal(L, this.lua.name('handle')) !== LUA.TFUNCTION)
      return fail({ ok: false, error: { code: 'GUEST_ERROR', message: NO_HANDLER } })
    const handlerRef = m._luaL_ref(L, LUA.REGISTRYINDEX)
    m._lua_settop(L, 1)
    const account = this.accounts.get(id) as LuaAccount
    return new WarmLuaState(L, handlerRef, account, request.code, () => this.accounts.delete(id))
  }

  /** Calls the state's `handle` with the request, which also becomes its `INPUT`. */
  private callWarm(state: WarmLuaState, request: RunRequest, job: JobState): GuestOutcome {
    const m = this.lua.m
    const { L } = state
    state.account.refused = false
    // The stack holds the traceback handler alone between calls.
    m._lua_settop(L, 1)
    m._lua_rawgeti(L, LUA.REGISTRYINDEX, BigInt(state.handlerRef))
    m._lua_pushcclosure(L, this.fn.nextCall, 0)
    let status = m._lua_pcallk(L, 0, 1, 1, 0, 0)
    if (status === LUA.OK) status = m._lua_pcallk(L, 1, 1, 1, 0, 0)
    let outcome: GuestOutcome
    if (job.stopRaisedAt !== undefined)
      outcome = { ok: false, error: stopReason(job.control, request.timeoutMs) }
    else if (status !== LUA.OK) outcome = { ok: false, error: this.failure(L, status, request) }
    else outcome = this.results(L)
    m._lua_settop(L, 1)
    return outcome
  }

  /** A state whose allocator counts against a new account capped at `cap`. */
  private newState(cap: number): { L: number; id: number } | undefined {
    const id = ++this.nextAccount
    this.accounts.set(id, { used: 0, cap, refused: false })
    const L = this.lua.m._lua_newstate(this.fn.alloc, id)
    if (L) return { L, id }
    this.accounts.delete(id)
    return undefined
  }

  /** A JS exception out of the interpreter: the module may be damaged, so it is not used again. */
  private crashed(err: unknown, request: RunRequest, job: JobState): GuestOutcome {
    this.poisoned = true
    if (err instanceof GuestAbort)
      return { ok: false, error: stopReason(job.control, request.timeoutMs), poisoned: true }
    const message = err instanceof Error ? err.message : String(err)
    return {
      ok: false,
      error: { code: 'WORKER_CRASHED', message: `Lua failed: ${message}` },
      poisoned: true,
    }
  }

  private execute(L: number, request: RunRequest, job: JobState): GuestOutcome {
    const { m } = this.lua
    m._lua_sethook(L, this.fn.hook, LUA.MASKCOUNT, HOOK_EVERY)

    m._lua_pushcclosure(L, this.fn.bootstrap, 0)
    const setup = m._lua_pcallk(L, 0, 0, 0, 0, 0)
    if (setup !== LUA.OK) return { ok: false, error: this.failure(L, setup, request) }

    m._lua_pushcclosure(L, this.fn.traceback, 0)
    const loaded = this.chunks.load(L, request.code, `=${GUEST_FILE}`)
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

  private results(L: number): GuestOutcome {
    return resultsOf(this.lua, L)
  }

  private failure(L: number, status: number, request: RunRequest): JobError {
    const job = this.job
    if (job?.stopRaisedAt !== undefined) return stopReason(job.control, request.timeoutMs)
    return failureOf(this.lua, L, status, request.memoryBytes)
  }

  // ── functions the interpreter calls back ────────────────────────────────────

  /** lua_Alloc: realloc within the state's account (`ud`). When `ptr` is 0, `osize` is a type tag. */
  private readonly alloc = (ud: number, ptr: number, osize: number, nsize: number): number => {
    const m = this.lua.m
    const account = this.accounts.get(ud)
    if (nsize === 0) {
      if (ptr) {
        m._free(ptr)
        if (account) account.used -= osize
      }
      return 0
    }
    const delta = ptr ? nsize - osize : nsize
    if (delta > 0 && (!account || account.used + delta > account.cap)) {
      if (account) account.refused = true
      return 0
    }
    const out = m._realloc(ptr, nsize)
    if (out && account) account.used += delta
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

function outOfMemoryAtStart(): GuestOutcome {
  return { ok: false, error: { code: 'OUT_OF_MEMORY', message: 'not enough memory to start Lua' } }
}
