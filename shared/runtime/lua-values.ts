/** Moves JSON values between JS and a Lua stack: objects ⇄ tables, arrays ⇄ sequences. */
import type { JsonValue } from '../protocol/json'
import { LUA, type LuaWasm } from './lua-wasm'

const MAX_DEPTH = 200

/** Raised for values JSON cannot carry (cycles, functions as keys, too deep). */
export class NotJsonError extends Error {
  override name = 'NotJsonError'
}

/** Pushes one JSON value; objects become tables, arrays 1-based sequences, null nil. */
export function pushJson(lua: LuaWasm, L: number, value: JsonValue, depth = 0): void {
  const m = lua.m
  if (depth > MAX_DEPTH) throw new NotJsonError(`input is nested deeper than ${MAX_DEPTH} levels`)
  if (!m._lua_checkstack(L, 3)) throw new NotJsonError('Lua stack overflow while converting input')
  if (value === null) return m._lua_pushnil(L)
  switch (typeof value) {
    case 'boolean':
      return m._lua_pushboolean(L, value ? 1 : 0)
    case 'number':
      return Number.isSafeInteger(value)
        ? m._lua_pushinteger(L, BigInt(value))
        : m._lua_pushnumber(L, value)
    case 'string':
      return lua.pushString(L, value)
  }
  if (Array.isArray(value)) {
    m._lua_createtable(L, value.length, 0)
    value.forEach((item, i) => {
      pushJson(lua, L, item, depth + 1)
      m._lua_rawseti(L, -2, BigInt(i + 1))
    })
    return
  }
  const entries = Object.entries(value)
  m._lua_createtable(L, 0, entries.length)
  for (const [key, item] of entries) {
    if (item === null) continue
    lua.pushString(L, key)
    pushJson(lua, L, item, depth + 1)
    m._lua_rawset(L, -3)
  }
}

/**
 * Reads the value at `idx` as JSON. Tables whose keys are exactly 1..n become arrays, other tables
 * objects (numeric keys as strings). Functions, userdata and threads become null, and are left out
 * inside tables, as JSON.stringify does in JavaScript.
 */
export function toJson(lua: LuaWasm, L: number, idx: number): JsonValue {
  return read(lua, L, lua.m._lua_absindex(L, idx), new Set(), 0) ?? null
}

function read(
  lua: LuaWasm,
  L: number,
  idx: number,
  seen: Set<number>,
  depth: number,
): JsonValue | undefined {
  const m = lua.m
  switch (m._lua_type(L, idx)) {
    case LUA.TNIL:
      return null
    case LUA.TBOOLEAN:
      return m._lua_toboolean(L, idx) !== 0
    case LUA.TNUMBER: {
      if (m._lua_isinteger(L, idx)) return Number(m._lua_tointegerx(L, idx, 0))
      const n = m._lua_tonumberx(L, idx, 0)
      return Number.isFinite(n) ? n : null
    }
    case LUA.TSTRING:
      return lua.readString(L, idx)
    case LUA.TTABLE:
      return readTable(lua, L, idx, seen, depth)
    default:
      return undefined
  }
}

function readTable(
  lua: LuaWasm,
  L: number,
  idx: number,
  seen: Set<number>,
  depth: number,
): JsonValue {
  const m = lua.m
  if (depth >= MAX_DEPTH) throw new NotJsonError(`table is nested deeper than ${MAX_DEPTH} levels`)
  const self = m._lua_topointer(L, idx)
  if (seen.has(self)) throw new NotJsonError('table contains a reference to itself')
  if (!m._lua_checkstack(L, 3))
    throw new NotJsonError('Lua stack overflow while converting a table')
  seen.add(self)
  const keys: (string | number)[] = []
  const values: JsonValue[] = []
  m._lua_pushnil(L)
  while (m._lua_next(L, idx) !== 0) {
    const keyType = m._lua_type(L, -2)
    const value = read(lua, L, m._lua_absindex(L, -1), seen, depth + 1)
    if (value !== undefined) {
      if (keyType === LUA.TSTRING) keys.push(lua.readString(L, -2))
      else if (keyType === LUA.TNUMBER) keys.push(numberKey(lua, L))
      else {
        lua.pop(L, 2)
        throw new NotJsonError('table keys must be strings or numbers to become JSON')
      }
      values.push(value)
    }
    lua.pop(L, 1)
  }
  seen.delete(self)
  if (isSequence(keys)) {
    const array: JsonValue[] = Array.from({ length: keys.length }, () => null)
    keys.forEach((k, i) => (array[(k as number) - 1] = values[i] ?? null))
    return array
  }
  const object: Record<string, JsonValue> = {}
  keys.forEach((k, i) => (object[String(k)] = values[i] ?? null))
  return object
}

function numberKey(lua: LuaWasm, L: number): number {
  const m = lua.m
  if (m._lua_isinteger(L, -2)) return Number(m._lua_tointegerx(L, -2, 0))
  return m._lua_tonumberx(L, -2, 0)
}

function isSequence(keys: (string | number)[]): boolean {
  if (keys.length === 0) return false
  const seen = new Uint8Array(keys.length + 1)
  for (const k of keys) {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > keys.length || seen[k])
      return false
    seen[k] = 1
  }
  return true
}
