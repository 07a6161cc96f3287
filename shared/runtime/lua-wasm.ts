/**
 * The raw Lua 5.4 C API compiled by wasmoon, called directly: cheaper than wasmoon's engine
 * (no interop layer per state) and nothing of the host is reachable from Lua but what we register.
 */
import { LuaFactory } from 'wasmoon'

export const LUA = {
  TNIL: 0,
  TBOOLEAN: 1,
  TLIGHTUSERDATA: 2,
  TNUMBER: 3,
  TSTRING: 4,
  TTABLE: 5,
  TFUNCTION: 6,
  TUSERDATA: 7,
  TTHREAD: 8,
  OK: 0,
  ERRRUN: 2,
  ERRSYNTAX: 3,
  ERRMEM: 4,
  ERRERR: 5,
  MULTRET: -1,
  MASKCOUNT: 8,
  /** LUA_REGISTRYINDEX: -LUAI_MAXSTACK - 1000. */
  REGISTRYINDEX: -1001000,
} as const

type Ptr = number
type L = number

/** The wasm exports we use; names as emscripten exports them. */
export interface LuaExports {
  HEAPU8: Uint8Array
  HEAPU32: Uint32Array
  _malloc(size: number): Ptr
  _free(ptr: Ptr): void
  _realloc(ptr: Ptr, size: number): Ptr
  addFunction(fn: (...args: never[]) => unknown, signature: string): Ptr
  _lua_newstate(alloc: Ptr, ud: Ptr): L
  _lua_close(L: L): void
  _luaopen_base(L: L): number
  _luaopen_string(L: L): number
  _luaopen_table(L: L): number
  _luaopen_math(L: L): number
  _luaopen_utf8(L: L): number
  _luaopen_coroutine(L: L): number
  _luaopen_os(L: L): number
  _lua_setglobal(L: L, name: Ptr): void
  _lua_getglobal(L: L, name: Ptr): number
  _lua_getfield(L: L, idx: number, k: Ptr): number
  _lua_callk(L: L, nargs: number, nresults: number, ctx: number, k: Ptr): void
  _lua_gettop(L: L): number
  _lua_settop(L: L, idx: number): void
  _lua_absindex(L: L, idx: number): number
  _lua_checkstack(L: L, n: number): number
  _lua_rotate(L: L, idx: number, n: number): void
  _lua_pushnil(L: L): void
  _lua_pushboolean(L: L, b: number): void
  _lua_pushinteger(L: L, n: bigint): void
  _lua_pushnumber(L: L, n: number): void
  _lua_pushlstring(L: L, s: Ptr, len: number): Ptr
  _lua_pushcclosure(L: L, fn: Ptr, n: number): void
  _lua_createtable(L: L, narr: number, nrec: number): void
  _lua_rawset(L: L, idx: number): void
  _lua_rawseti(L: L, idx: number, n: bigint): void
  _lua_setfield(L: L, idx: number, k: Ptr): void
  _lua_type(L: L, idx: number): number
  _lua_toboolean(L: L, idx: number): number
  _lua_isinteger(L: L, idx: number): number
  _lua_tointegerx(L: L, idx: number, isnum: Ptr): bigint
  _lua_tonumberx(L: L, idx: number, isnum: Ptr): number
  _lua_tolstring(L: L, idx: number, len: Ptr): Ptr
  _luaL_tolstring(L: L, idx: number, len: Ptr): Ptr
  _lua_topointer(L: L, idx: number): Ptr
  _lua_next(L: L, idx: number): number
  _lua_error(L: L): number
  _lua_pcallk(L: L, nargs: number, nresults: number, msgh: number, ctx: number, k: Ptr): number
  _luaL_loadbufferx(L: L, buf: Ptr, size: number, name: Ptr, mode: Ptr): number
  _lua_dump(L: L, writer: Ptr, data: Ptr, strip: number): number
  _luaL_ref(L: L, t: number): number
  _lua_rawgeti(L: L, idx: number, n: bigint): number
  _lua_pushvalue(L: L, idx: number): void
  _luaL_traceback(L: L, L1: L, msg: Ptr, level: number): void
  _lua_sethook(L: L, fn: Ptr, mask: number, count: number): void
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The loaded module plus string helpers that never put guest-sized data on the C stack. */
export class LuaWasm {
  private readonly names = new Map<string, Ptr>()
  /** Scratch word for out-parameters such as string lengths. */
  readonly scratch: Ptr

  private constructor(readonly m: LuaExports) {
    this.scratch = m._malloc(8)
  }

  static async load(wasmUrl?: string): Promise<LuaWasm> {
    const lua = await new LuaFactory(wasmUrl).getLuaModule()
    return new LuaWasm(lua.module as unknown as LuaExports)
  }

  /** A NUL-terminated constant kept for the life of the module (library and field names). */
  name(text: string): Ptr {
    let ptr = this.names.get(text)
    if (ptr === undefined) {
      const bytes = encoder.encode(text)
      ptr = this.m._malloc(bytes.length + 1)
      this.m.HEAPU8.set(bytes, ptr)
      this.m.HEAPU8[ptr + bytes.length] = 0
      this.names.set(text, ptr)
    }
    return ptr
  }

  /** Copies a JS string into wasm memory; the caller frees it. */
  alloc(text: string): { ptr: Ptr; size: number } {
    const bytes = encoder.encode(text)
    const ptr = this.m._malloc(bytes.length + 1)
    if (!ptr) throw new Error('wasm heap exhausted')
    this.m.HEAPU8.set(bytes, ptr)
    this.m.HEAPU8[ptr + bytes.length] = 0
    return { ptr, size: bytes.length }
  }

  pushString(L: L, text: string): void {
    const { ptr, size } = this.alloc(text)
    try {
      this.m._lua_pushlstring(L, ptr, size)
    } finally {
      this.m._free(ptr)
    }
  }

  /** Reads the string at `idx` (which must be a string, not a number: that would convert it in place). */
  readString(L: L, idx: number): string {
    const ptr = this.m._lua_tolstring(L, idx, this.scratch)
    return this.decode(ptr)
  }

  /** `tostring(v)` with metamethods, as print does; pushes the string, which the caller pops. */
  toDisplayString(L: L, idx: number): string {
    const ptr = this.m._luaL_tolstring(L, idx, this.scratch)
    return this.decode(ptr)
  }

  private decode(ptr: Ptr): string {
    if (!ptr) return ''
    const len = this.m.HEAPU32[this.scratch >> 2] ?? 0
    return decoder.decode(this.m.HEAPU8.subarray(ptr, ptr + len))
  }

  pop(L: L, n: number): void {
    this.m._lua_settop(L, -n - 1)
  }

  /** Raises a Lua error with this message from a host function: lua_error unwinds by throwing. */
  raise(L: L, message: string): never {
    this.pushString(L, message)
    this.m._lua_error(L)
    throw new Error('lua_error returned')
  }
}
