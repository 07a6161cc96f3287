/**
 * Every runtime refuses a result whose JSON is over MAX_RESULT_CHARS with the same error, and
 * passes one just under it: the limit the orchestrator relies on when it trusts a report's size.
 */
import { loadPyodide } from 'pyodide'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_RESULT_CHARS } from './limits'
import { LuaRuntime } from './lua-runtime'
import { PythonRuntime, type LoadPyodide } from './python-runtime'
import { QuickJsRuntime } from './quickjs-runtime'
import type { GuestRuntime } from './runtime'
import { run } from './test-helpers'

const runtimes: Record<string, GuestRuntime> = {}
beforeAll(async () => {
  runtimes.js = await QuickJsRuntime.load()
  runtimes.lua = await LuaRuntime.load()
  runtimes.python = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide)
}, 60_000)

// A string of n characters is n + 2 characters of JSON.
const JUST_UNDER = MAX_RESULT_CHARS - 2
const code = {
  js: (n: number) => `'x'.repeat(${n})`,
  lua: (n: number) => `return string.rep('x', ${n})`,
  python: (n: number) => `'x' * ${n}`,
}

describe('the result limit', () => {
  for (const name of ['js', 'lua', 'python'] as const) {
    it(`${name}: refuses a result one character over it, and passes one at it`, async () => {
      const runtime = runtimes[name] as GuestRuntime
      const over = await run(runtime, code[name](JUST_UNDER + 1), {}, { memoryBytes: 256 << 20 })
      expect(over).toMatchObject({
        ok: false,
        error: {
          code: 'RESULT_TOO_LARGE',
          message: `the result is ${MAX_RESULT_CHARS + 1} characters of JSON; the limit is ${MAX_RESULT_CHARS}`,
        },
      })
      const at = await run(runtime, code[name](JUST_UNDER), {}, { memoryBytes: 256 << 20 })
      expect(at.ok).toBe(true)
    }, 60_000)
  }
})
