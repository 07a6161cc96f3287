import { beforeAll, describe, expect, it } from 'vitest'
import { LuaRuntime } from './lua-runtime'
import { control, request, run } from './test-helpers'

let lua: LuaRuntime
beforeAll(async () => {
  lua = await LuaRuntime.load()
})

describe('LuaRuntime', () => {
  it('runs the seed README example: print and return with INPUT', async () => {
    const out = await run(lua, 'print("Hello " .. INPUT.name); return INPUT.x + INPUT.y', {
      name: 'World',
      x: 10,
      y: 32,
    })
    expect(out).toMatchObject({ ok: true, result: 42, output: 'Hello World\n' })
  })

  it('prints several values tab-separated, with tostring', async () => {
    const out = await run(lua, 'print(1, "a", nil, true, 2.5) io.write("x", 1, "\\n") return nil')
    expect(out).toMatchObject({ ok: true, result: null, output: '1\ta\tnil\ttrue\t2.5\nx1\n' })
  })

  it('maps tables to JSON: sequences to arrays, others to objects', async () => {
    const out = await run(lua, 'return {1, 2, {x = "y"}}, {a = {b = true}, [5] = 0}')
    expect(out).toMatchObject({ ok: true, result: [[1, 2, { x: 'y' }], { a: { b: true }, 5: 0 }] })
  })

  it('maps nested input to tables and sequences', async () => {
    const out = await run(
      lua,
      'return #INPUT.items, INPUT.items[2].name, INPUT.flag, INPUT.missing == nil',
      { items: [1, { name: 'n' }], flag: false, missing: null },
    )
    expect(out).toMatchObject({ ok: true, result: [2, 'n', false, true] })
  })

  it('offers json.encode, json.decode and require("json")', async () => {
    const out = await run(
      lua,
      'local j = require("json") return j.decode(json.encode({a = {1, 2}})).a[2]',
    )
    expect(out).toMatchObject({ ok: true, result: 2 })
  })

  it('reports runtime errors with the line and a traceback', async () => {
    const out = await run(lua, 'local x = 1\nerror("boom")')
    expect(out).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: 'job:2: boom', line: 2 },
    })
    if (!out.ok) expect(out.error.traceback).toContain('stack traceback')
  })

  it('reports syntax errors with the line', async () => {
    expect(await run(lua, 'local a = 1\nlocal x = = 1')).toMatchObject({
      ok: false,
      error: { code: 'SYNTAX_ERROR', line: 2 },
    })
  })

  it('has no os.exit, os.execute, io.open, package, debug or loadfile', async () => {
    const out = await run(
      lua,
      'return {os.exit == nil, os.execute == nil, io.open == nil, package == nil, debug == nil, loadfile == nil, dofile == nil, string.dump == nil, os.time ~= nil}',
    )
    expect(out).toMatchObject({
      ok: true,
      result: [true, true, true, true, true, true, true, true, true],
    })
  })

  it('refuses require of anything but json', async () => {
    expect(await run(lua, 'require("os")')).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: expect.stringContaining("module 'os' not found") },
    })
  })

  it('loads text chunks but never bytecode', async () => {
    expect(await run(lua, 'return load("return 1 + 1")()')).toMatchObject({ ok: true, result: 2 })
    const out = await run(
      lua,
      'local f, err = load("\\27Lua\\84\\0", "b", "b") return f == nil, err',
    )
    expect(out).toMatchObject({
      ok: true,
      result: [true, expect.stringContaining('attempt to load a binary chunk')],
    })
  })

  it('caps memory: string.rep bombs fail with OUT_OF_MEMORY', async () => {
    expect(await run(lua, 'return #string.rep("x", 1e9)')).toMatchObject({
      ok: false,
      error: { code: 'OUT_OF_MEMORY' },
    })
    expect(
      await run(lua, 'local t = {} for i = 1, 1e8 do t[i] = i end', null, { memoryBytes: 4 << 20 }),
    ).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' } })
    expect(await run(lua, 'return 1')).toMatchObject({ ok: true, result: 1 })
  })

  it('stops an infinite loop at the deadline', async () => {
    const out = await lua.run(
      request('lua', 'while true do end', null, { timeoutMs: 100 }),
      control(100),
    )
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
  })

  it('stops loops hidden in coroutines', async () => {
    const code = 'local co = coroutine.wrap(function() while true do end end) co()'
    expect(
      await lua.run(request('lua', code, null, { timeoutMs: 100 }), control(100)),
    ).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
  })

  it('tears out a guest that swallows its deadline, and asks to be replaced', async () => {
    const fresh = await LuaRuntime.load()
    const code = 'while true do pcall(function() while true do end end) end'
    const out = await fresh.run(request('lua', code, null, { timeoutMs: 100 }), control(100))
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' }, poisoned: true })
  })

  it('fails deep recursion without harming the next job', async () => {
    expect(await run(lua, 'local function f() return f() + 1 end return f()')).toMatchObject({
      ok: false,
    })
    expect(await run(lua, 'return 2')).toMatchObject({ ok: true, result: 2 })
  })

  it('gives every job a fresh state', async () => {
    await run(lua, 'leak = 1 string.upper = nil')
    expect(await run(lua, 'return leak == nil, string.upper("a")')).toMatchObject({
      ok: true,
      result: [true, 'A'],
    })
  })
})
