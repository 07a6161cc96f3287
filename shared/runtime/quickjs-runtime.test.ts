import { beforeAll, describe, expect, it } from 'vitest'
import { QuickJsRuntime } from './quickjs-runtime'
import { control, request, run } from './test-helpers'

let js: QuickJsRuntime
beforeAll(async () => {
  js = await QuickJsRuntime.load()
})

describe('QuickJsRuntime', () => {
  it('returns the completion value and captured console output', async () => {
    const out = await run(js, 'console.log("Hello from JS!", {a: 1}, [2], null); 42')
    expect(out).toMatchObject({ ok: true, result: 42, output: 'Hello from JS! {"a":1} [2] null\n' })
  })

  it('prints errors with their stack and other values as String() would', async () => {
    const out = await run(
      js,
      'console.log(new TypeError("bad"), undefined, 1n, Symbol("s"), true); console.error("e"); 1',
    )
    expect(out.ok).toBe(true)
    expect(out.output).toMatch(/^TypeError: bad\n {4}at <eval> \(job\.js:1/)
    expect(out.output).toContain(' undefined 1 Symbol(s) true\ne\n')
  })

  it('reads results, output and INPUT by the intrinsics the job started with', async () => {
    const code =
      'JSON.stringify = () => "forged"; String = () => "forged"; console.log({a: 1}, 2); ({ok: INPUT.n})'
    expect(await run(js, code, { n: 3 })).toMatchObject({
      ok: true,
      result: { ok: 3 },
      output: '{"a":1} 2\n',
    })
  })

  it('keeps console and db frozen, and propagates what a logged value throws', async () => {
    expect(
      await run(js, '"use strict"; try { console.log = null } catch (e) { e.name }'),
    ).toMatchObject({ ok: true, result: 'TypeError' })
    expect(await run(js, 'Object.isFrozen(db) && Object.isFrozen(console)')).toMatchObject({
      ok: true,
      result: true,
    })
    const thrower =
      'console.log({ toJSON() { throw new Error("no json") }, toString() { throw new Error("no text") } })'
    expect(await run(js, thrower)).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: 'Error: no text' },
    })
  })

  it('exposes input_data as INPUT, and an empty object without it', async () => {
    expect(await run(js, 'INPUT.x + INPUT.y', { x: 10, y: 32 })).toMatchObject({
      ok: true,
      result: 42,
    })
    expect(await run(js, 'JSON.stringify(INPUT)')).toMatchObject({ ok: true, result: '{}' })
  })

  it('returns objects and arrays as JSON, undefined as null', async () => {
    expect(await run(js, '({n: 1, list: [1, "two", {three: 3}]})')).toMatchObject({
      ok: true,
      result: { n: 1, list: [1, 'two', { three: 3 }] },
    })
    expect(await run(js, 'undefined')).toMatchObject({ ok: true, result: null })
  })

  it('awaits a promise the code evaluates to', async () => {
    expect(await run(js, '(async () => { await null; return 7 })()')).toMatchObject({
      ok: true,
      result: 7,
    })
    const rejected = await run(js, 'Promise.reject(new RangeError("nope"))')
    expect(rejected).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: 'RangeError: nope' },
    })
  })

  it('reports a thrown error with its message, line and traceback', async () => {
    const out = await run(js, 'const a = 1\nfunction f() { throw new TypeError("bad input") }\nf()')
    expect(out.ok).toBe(false)
    if (out.ok) return
    expect(out.error).toMatchObject({
      code: 'GUEST_ERROR',
      message: 'TypeError: bad input',
      line: 2,
    })
    expect(out.error.traceback).toContain('job.js:2')
  })

  it('reports syntax errors with their line', async () => {
    const out = await run(js, 'let ok = 1\nlet x = ;')
    expect(out).toMatchObject({ ok: false, error: { code: 'SYNTAX_ERROR', line: 2 } })
  })

  it('describes thrown non-errors', async () => {
    expect(await run(js, 'throw {reason: "x"}')).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', message: 'uncaught {"reason":"x"}' },
    })
  })

  it('fails results that are not JSON', async () => {
    expect(await run(js, 'const o = {}; o.self = o; o')).toMatchObject({
      ok: false,
      error: { code: 'RESULT_NOT_JSON' },
    })
    expect(await run(js, '10n')).toMatchObject({ ok: false, error: { code: 'RESULT_NOT_JSON' } })
  })

  it('stops an infinite loop at the deadline', async () => {
    const out = await js.run(
      request('js', 'while (true) {}', null, { timeoutMs: 100 }),
      control(100),
    )
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
    expect(out.durationMs).toBeLessThan(1000)
  })

  it('stops when cancelled', async () => {
    let cancelled = false
    setTimeout(() => (cancelled = true), 0)
    const started = Date.now()
    const out = await js.run(
      request('js', 'let n = 0; while (Date.now() - ' + started + ' < 50) n++; while (true) {}'),
      control(5000, () => cancelled || Date.now() - started > 60),
    )
    expect(out).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
  })

  it('fails a memory bomb with OUT_OF_MEMORY', async () => {
    const out = await run(js, 'const a = []; while (true) a.push({ n: a.length })', null, {
      memoryBytes: 8 << 20,
    })
    expect(out).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' } })
  })

  it('holds its memory cap against data that QuickJS does not count (strings, buffers)', async () => {
    for (const code of [
      'const a = []; for (let i = 0; i < 4000; i++) a.push(String.fromCharCode(97 + i % 26).repeat(1 << 20)); a.length',
      'const a = []; for (let i = 0; i < 4000; i++) a.push(new Uint8Array(1 << 20)); a.length',
    ]) {
      const out = await run(js, code, null, { memoryBytes: 24 << 20 })
      expect(out).toMatchObject({
        ok: false,
        error: { code: 'OUT_OF_MEMORY', message: expect.stringContaining('limited to 24 MiB') },
      })
      // The module's memory stopped at the cap, and it keeps working.
      expect(js.retainedBytes()).toBeLessThanOrEqual(24 << 20)
      expect(await run(js, '6 * 7', null, { memoryBytes: 24 << 20 })).toMatchObject({ result: 42 })
    }
  })

  it('fails a recursion bomb with STACK_OVERFLOW and keeps working', async () => {
    expect(await run(js, 'function f() { f() } f()')).toMatchObject({
      ok: false,
      error: { code: 'STACK_OVERFLOW' },
    })
    expect(await run(js, '1 + 1')).toMatchObject({ ok: true, result: 2 })
  })

  it('cuts output at the limit', async () => {
    const out = await run(js, 'for (let i = 0; i < 1000; i++) console.log("xxxxxxxxxx"); 1', null, {
      outputLimit: 100,
    })
    expect(out.ok).toBe(true)
    expect(out.output).toMatch(/^x{10}\n/)
    expect(out.output).toContain('[output truncated]')
    expect(out.output.length).toBeLessThan(200)
  })

  it('gives every job a fresh global scope', async () => {
    await run(js, 'globalThis.leak = 1; Object.prototype.polluted = true')
    expect(await run(js, '[typeof leak, ({}).polluted === undefined]')).toMatchObject({
      ok: true,
      result: ['undefined', true],
    })
  })

  it('offers no host objects', async () => {
    const out = await run(
      js,
      '[typeof process, typeof require, typeof fetch, typeof setTimeout, typeof WebAssembly]',
    )
    expect(out).toMatchObject({
      ok: true,
      result: ['undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
    })
  })
})
