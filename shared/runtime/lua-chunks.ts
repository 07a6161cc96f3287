/**
 * Compiled Lua chunks kept per thread, so jobs with the same code (and every state's sandbox
 * prelude) are parsed once: the host compiles the text, dumps the function with `lua_dump` and
 * later loads those bytes in binary mode. Only bytes the host dumped itself are ever loaded as
 * binary; guests get `load` for text only and no `string.dump`.
 */
import { LUA, type LuaWasm } from './lua-wasm'
import { WarmCache, type WarmEntry } from './warm-cache'

/** What the cache may hold, code and bytecode together. */
const CACHE_BYTES = 4 * 1024 * 1024
/** Code longer than this is compiled each time rather than crowd out the rest. */
const LARGEST_CACHED = 256 * 1024

class Chunk implements WarmEntry {
  constructor(
    private readonly code: string,
    readonly bytecode: Uint8Array,
  ) {}

  bytes(): number {
    return this.code.length * 2 + this.bytecode.length
  }

  release(): void {}
}

export class LuaChunks {
  private readonly cache = new WarmCache<Chunk>()
  private readonly writer: number
  private parts: Uint8Array[] = []

  constructor(private readonly lua: LuaWasm) {
    this.writer = lua.m.addFunction(this.write, 'iiiii')
  }

  /**
   * Pushes the compiled chunk for `code` (text, named `chunkName`), as luaL_loadbufferx does:
   * the status, and the function or the error message on the stack.
   */
  load(L: number, code: string, chunkName: string): number {
    const { m } = this.lua
    const cached = this.cache.take(code)
    if (cached) {
      const ptr = m._malloc(cached.bytecode.length)
      if (!ptr) return LUA.ERRMEM
      m.HEAPU8.set(cached.bytecode, ptr)
      const status = m._luaL_loadbufferx(
        L,
        ptr,
        cached.bytecode.length,
        this.lua.name(chunkName),
        this.lua.name('b'),
      )
      m._free(ptr)
      return status
    }
    const text = this.lua.alloc(code)
    const status = m._luaL_loadbufferx(
      L,
      text.ptr,
      text.size,
      this.lua.name(chunkName),
      this.lua.name('t'),
    )
    m._free(text.ptr)
    if (status === LUA.OK && code.length <= LARGEST_CACHED) this.keep(L, code)
    return status
  }

  /** Dumps the function on top of the stack (with its debug information, for tracebacks). */
  private keep(L: number, code: string): void {
    this.parts = []
    if (this.lua.m._lua_dump(L, this.writer, 0, 0) !== 0) return
    let size = 0
    for (const part of this.parts) size += part.length
    const bytecode = new Uint8Array(size)
    let at = 0
    for (const part of this.parts) {
      bytecode.set(part, at)
      at += part.length
    }
    this.parts = []
    this.cache.put(code, new Chunk(code, bytecode))
    this.cache.dropTo(CACHE_BYTES)
  }

  /** lua_Writer: copies each piece of the dump out of wasm memory. */
  private readonly write = (_L: number, p: number, size: number): number => {
    this.parts.push(this.lua.m.HEAPU8.slice(p, p + size))
    return 0
  }
}
