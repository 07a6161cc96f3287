/** What a Lua chunk or handler left on its state's stack, read out as a job's outcome. */
import type { JobError } from '../protocol/job'
import type { JsonValue } from '../protocol/json'
import { guestLine } from './guest-error'
import { resultTooLarge } from './limits'
import { NotJsonError, toJson } from './lua-values'
import { LUA, type LuaWasm } from './lua-wasm'
import type { GuestOutcome } from './runtime'

/** The values above the traceback handler (index 1): none → null, one → itself, several → an array. */
export function resultsOf(lua: LuaWasm, L: number): GuestOutcome {
  const count = lua.m._lua_gettop(L) - 1
  let result: JsonValue
  try {
    if (count <= 0) result = null
    else if (count === 1) result = toJson(lua, L, 2)
    else result = Array.from({ length: count }, (_, i) => toJson(lua, L, i + 2))
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
  const tooLarge = resultTooLarge(JSON.stringify(result).length)
  return tooLarge ? { ok: false, error: tooLarge } : { ok: true, result }
}

/** The error a failed load or call left on top of the stack, classified. */
export function failureOf(lua: LuaWasm, L: number, status: number, memoryBytes: number): JobError {
  if (status === LUA.ERRMEM) {
    return {
      code: 'OUT_OF_MEMORY',
      message: `not enough memory: the job is limited to ${Math.round(memoryBytes / 1048576)} MiB`,
    }
  }
  const m = lua.m
  const text =
    m._lua_type(L, -1) === LUA.TSTRING ? lua.readString(L, -1) : lua.toDisplayString(L, -1)
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
