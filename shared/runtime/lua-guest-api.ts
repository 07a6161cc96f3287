/**
 * The host side of what a Lua guest calls: `print`, `io.write`, `json`, `db`, `progress`, and the bootstrap
 * that opens the safe libraries (lua-sandbox.ts) and installs these beside them. Kept apart from
 * lua-runtime.ts, which owns a job's life: memory cap, deadline, outcome.
 */
import type { HostBridge, HostCall } from '../protocol/host-call'
import type { JsonObject, JsonValue } from '../protocol/json'
import { hostCallFromGuest, progressFromGuest } from './host-dispatch'
import { OPENED_LIBRARIES, SAFE_OS_FUNCTIONS, SANDBOX_PRELUDE } from './lua-sandbox'
import { pushJson, toJson } from './lua-values'
import { LUA, type LuaWasm } from './lua-wasm'
import type { OutputBuffer } from './output-buffer'

/** A function pointer in the module's table, as `addFunction` returns it. */
export type Fn = number

/** What the guest's functions see of the running job. */
export interface LuaGuestJob {
  readonly output: OutputBuffer
  readonly input: JsonObject | null
  /** Becomes `SECRETS` (read-only; empty when the work declared none). */
  readonly secrets?: Readonly<Record<string, string>> | undefined
  readonly control: { readonly host?: HostBridge }
  /**
   * Set once the job's outcome exists. Closing the state still runs `__gc` finalizers: they find
   * no database and write no output. (Lua turns hooks off inside finalizers, so one that never
   * returns holds the thread until the owner's deadline kill.)
   */
  ended?: boolean
}

/** Thrown through the interpreter when a guest keeps running past its deadline. */
export class GuestAbort extends Error {
  override name = 'GuestAbort'
}

/** The guest's host functions, registered once per module and shared by every job's state. */
export class LuaGuestApi {
  /** Opens the libraries and installs the globals in a new state: call it in protected mode. */
  readonly bootstrap: Fn
  /**
   * A warm state's next call: sets `INPUT` to the running call's request and returns it. Call it
   * in protected mode (it allocates, and `_G` may have the guest's metamethods).
   */
  readonly nextCall: Fn
  private readonly fn: Record<
    | 'print'
    | 'write'
    | 'encode'
    | 'decode'
    | 'dbGet'
    | 'dbSet'
    | 'dbDelete'
    | 'dbList'
    | 'progress',
    Fn
  >

  /**
   * `load` compiles a chunk the way luaL_loadbufferx does (lua-chunks.ts keeps it compiled), for
   * the prelude every state runs.
   */
  constructor(
    private readonly lua: LuaWasm,
    private readonly current: () => LuaGuestJob | undefined,
    private readonly load: (L: number, code: string, chunkName: string) => number,
  ) {
    const m = lua.m
    this.fn = {
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
      progress: m.addFunction(this.hostFunction(this.progress), 'ii'),
    }
    this.bootstrap = m.addFunction(this.hostFunction(this.install), 'ii')
    this.nextCall = m.addFunction(
      this.hostFunction((L) => {
        pushJson(this.lua, L, this.current()?.input ?? {})
        m._lua_pushvalue(L, -1)
        m._lua_setglobal(L, this.lua.name('INPUT'))
        return 1
      }),
      'ii',
    )
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
        return this.lua.raise(L, err instanceof Error ? err.message : String(err))
      }
    }
  }

  private readonly install = (L: number): number => {
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
    this.setFunction(L, 'progress', this.fn.progress)
    this.setTable(L, 'io', { write: this.fn.write })
    this.setTable(L, 'json', { encode: this.fn.encode, decode: this.fn.decode })
    this.setTable(L, 'db', {
      get: this.fn.dbGet,
      set: this.fn.dbSet,
      delete: this.fn.dbDelete,
      list: this.fn.dbList,
    })
    pushJson(this.lua, L, this.current()?.input ?? {})
    m._lua_setglobal(L, name('INPUT'))
    pushJson(this.lua, L, { ...this.current()?.secrets })
    m._lua_setglobal(L, name('SECRETS'))

    const status = this.load(L, SANDBOX_PRELUDE, '=sandbox')
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
    const job = this.current()
    if (!job?.ended) job?.output.write(parts.join('\t') + '\n')
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
      const job = this.current()
      if (!job?.ended) job?.output.write(text)
      this.lua.pop(L, 1)
    }
    return 0
  }

  /** A `db.*` call: one synchronous round trip to the host, its value pushed as the result. */
  private db(L: number, call: HostCall): number {
    const job = this.current()
    if (job?.ended) throw new Error('the job has ended: its database line is closed')
    const reply = hostCallFromGuest(job?.control.host, JSON.stringify(call))
    if (!reply.ok) throw new Error(reply.error)
    pushJson(this.lua, L, reply.value)
    return 1
  }

  /** `progress(fraction, message)`: checked, then passed on without waiting (host-dispatch.ts). */
  private readonly progress = (L: number): number => {
    const job = this.current()
    const wrong = progressFromGuest(
      job?.ended ? undefined : job?.control.host,
      this.argPlain(L, 1),
      this.argPlain(L, 2),
    )
    if (wrong !== undefined) throw new Error(wrong)
    return 0
  }

  /** A number or string argument as a host value; anything else only by its Lua type. */
  private argPlain(L: number, index: number): unknown {
    const { m } = this.lua
    const type = m._lua_type(L, index)
    if (type === LUA.TNUMBER) return m._lua_tonumberx(L, index, 0)
    if (type === LUA.TSTRING) return this.lua.readString(L, index)
    // TNONE (-1): the argument was not given.
    if (type <= LUA.TNIL) return undefined
    return { lua: type }
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
