/**
 * Hostile guests, run as real jobs on two in-process volunteers' sandbox threads. Every one must end
 * as a failed or harmless job, and afterwards the orchestrator is healthy and every runtime still runs.
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { REALM_PROBES } from '../helpers/realm-probes'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'
import { toBase64, wasmFixture } from '../helpers/wasm-fixtures'

let server: TestApp
let client: ApiClient
const marker = path.join(os.tmpdir(), `zv-hostile-${process.pid}`)

beforeAll(async () => {
  server = await createTestApp({ volunteers: 2 })
  client = server.api
  await idleVolunteers(server, 2)
  // The first interpreter loads Pyodide cold (2-4 s on a busy machine), past the 3 s the guests
  // below get; it also makes the snapshot every later interpreter starts from in under a second.
  await client.run({ job_type: 'python', code: '1', timeout_seconds: 60 }, 90)
  // Both volunteers' threads started before that snapshot existed: each loads Python now, not in
  // the first hostile job it is given.
  await Promise.all(server.volunteers.map((v) => v.warm('python', '1')))
}, 120_000)

afterAll(async () => {
  await server.close()
})

type Verdict =
  { status: 'failed'; code?: string | RegExp } | { status: 'completed'; result?: unknown }
const failed = (code?: string | RegExp): Verdict => ({ status: 'failed', ...(code && { code }) })
const harmless = (result?: unknown): Verdict => ({
  status: 'completed',
  ...(result !== undefined && { result }),
})

async function expectVerdict(job: Record<string, unknown>, verdict: Verdict) {
  const done = await client.run({ timeout_seconds: 3, ...job }, 60)
  expect(done.status, JSON.stringify(done.error ?? done.result)).toBe(verdict.status)
  if (verdict.status === 'failed' && verdict.code) expect(done.error.code).toMatch(verdict.code)
  if (verdict.status === 'completed' && 'result' in verdict)
    expect(done.result).toEqual(verdict.result)
  return done
}

const python: [string, string, Verdict][] = [
  ['import js and read process', 'import js\njs.process.pid', failed('GUEST_ERROR')],
  ['from js import process', 'from js import process', failed('GUEST_ERROR')],
  [
    'pyodide_js and the module behind it',
    'import pyodide_js\npyodide_js._module.FS.filesystems.NODEFS',
    failed('GUEST_ERROR'),
  ],
  [
    'the FFI to Function',
    'from pyodide.ffi import to_js\nto_js([]).constructor.constructor("return process")()',
    failed('GUEST_ERROR'),
  ],
  ['run_js', 'from pyodide.code import run_js\nrun_js("process.exit(1)")', failed('GUEST_ERROR')],
  ['os.system', `import os\nos.system("touch ${marker}")`, harmless()],
  ['subprocess', 'import subprocess\nsubprocess.run(["id"])', failed('GUEST_ERROR')],
  ['reading host files', 'open("/etc/passwd").read()', failed('GUEST_ERROR')],
  ['sys.exit', 'import sys\nsys.exit(3)', failed('GUEST_ERROR')],
  ['an infinite loop', 'while True:\n    pass', failed('TIMEOUT')],
  [
    'an infinite loop that swallows the interrupt',
    'while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass',
    failed('TIMEOUT'),
  ],
  ['a memory bomb', 'x = []\nwhile True:\n    x.append(bytearray(10**7))', failed('OUT_OF_MEMORY')],
  ['one huge allocation', 'x = "a" * (10**9)', failed('OUT_OF_MEMORY')],
  ['a recursion bomb', 'def f():\n    return f()\nf()', failed('STACK_OVERFLOW')],
  [
    'a recursion bomb past the limit',
    'import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)',
    failed(/STACK_OVERFLOW|WORKER_CRASHED/),
  ],
]

const lua: [string, string, Verdict][] = [
  ['os.exit', 'os.exit(1)', failed('GUEST_ERROR')],
  ['os.execute', `os.execute("touch ${marker}")`, failed('GUEST_ERROR')],
  ['io.open', 'return io.open("/etc/passwd"):read("*a")', failed('GUEST_ERROR')],
  ['require', 'local ffi = require("ffi")', failed('GUEST_ERROR')],
  [
    'load with bytecode',
    'local f, err = load("\\27Lua", "x", "b") assert(f, err) return f()',
    failed('GUEST_ERROR'),
  ],
  ['debug', 'return debug.getregistry()', failed('GUEST_ERROR')],
  ['a string.rep bomb', 'local s = string.rep("x", 2^30)', failed('OUT_OF_MEMORY')],
  [
    'a table bomb',
    'local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end',
    failed('OUT_OF_MEMORY'),
  ],
  ['an infinite loop', 'while true do end', failed('TIMEOUT')],
  [
    'a loop in a coroutine',
    'local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end',
    failed('TIMEOUT'),
  ],
  [
    'a loop that swallows the deadline',
    'while true do pcall(function() while true do end end) end',
    failed('TIMEOUT'),
  ],
  [
    'metatable tricks on strings',
    'getmetatable("").__index = function() os.exit() end return ("x"):len()',
    failed('GUEST_ERROR'),
  ],
]

const js: [string, string, Verdict][] = [
  [
    'a constructor-chain escape',
    'this.constructor.constructor("return typeof process + typeof require")()',
    harmless('undefinedundefined'),
  ],
  [
    'globalThis probing',
    'Object.getOwnPropertyNames(globalThis).filter(n => /process|require|fetch|WebAssembly|Deno|Bun|__/.test(n))',
    harmless([]),
  ],
  ['an infinite loop', 'while (true) {}', failed('TIMEOUT')],
  [
    'catching the interrupt',
    'for (;;) { try { while (true) {} } catch (e) {} }',
    failed('TIMEOUT'),
  ],
  ['deep recursion', 'function f() { return f() + 1 } f()', failed('STACK_OVERFLOW')],
  [
    'a memory bomb',
    'const a = []; while (true) a.push(new Array(1e6).fill(1))',
    failed(/OUT_OF_MEMORY|TIMEOUT/),
  ],
  ['a string bomb', 'let s = "x"; while (true) s += s', failed('GUEST_ERROR')],
  ['replacing JSON.stringify', 'JSON.stringify = () => "hacked"; 41 + 1', harmless(42)],
]

describe('hostile guests', () => {
  for (const [name, code, verdict] of python)
    it(
      `python: ${name}`,
      () => expectVerdict({ job_type: 'python', code }, verdict).then(() => undefined),
      90_000,
    )
  for (const [name, code, verdict] of lua)
    it(`lua: ${name}`, () =>
      expectVerdict({ job_type: 'lua', code }, verdict).then(() => undefined))
  for (const [name, code, verdict] of js)
    it(`js: ${name}`, () => expectVerdict({ job_type: 'js', code }, verdict).then(() => undefined))

  it('wasm: a module that never returns', async () => {
    await expectVerdict(
      { job_type: 'wasm', wasm_base64: toBase64(await wasmFixture('spin')), timeout_seconds: 1 },
      failed('TIMEOUT'),
    )
  })

  it('wasm: a module that grows memory without bound', async () => {
    const done = await expectVerdict(
      { job_type: 'wasm', wasm_base64: toBase64(await wasmFixture('grow')) },
      harmless(),
    )
    expect(done.result).toBeLessThanOrEqual(2048) // 128 MiB in 64 KiB pages
  })

  it('wasm: a module importing functions we do not provide', async () => {
    await expectVerdict(
      { job_type: 'wasm', wasm_base64: toBase64(await wasmFixture('needs-env')) },
      failed('GUEST_ERROR'),
    )
  })

  it('wasm: bad bytes are refused at the door', async () => {
    const res = await client.post('/api/jobs', {
      job_type: 'wasm',
      wasm_base64: toBase64(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 2, 3])),
    })
    expect(res).toMatchObject({ status: 400, body: { code: 'INVALID_WASM', field: 'wasm_base64' } })
  })

  it('python: os._exit fails the job as its own error, and Python still runs', async () => {
    const done = await expectVerdict(
      { job_type: 'python', code: 'import os\nos._exit(0)' },
      failed('GUEST_ERROR'),
    )
    expect(done.error.message).toMatch(/os\._exit/)
    await expectVerdict({ job_type: 'python', code: '6 * 7' }, harmless(42))
  }, 90_000)

  it("python: bringing the interpreter down another way is the guest's error too", async () => {
    await expectVerdict(
      { job_type: 'python', code: 'import ctypes\nctypes.CDLL(None)._exit(0)' },
      failed('GUEST_ERROR'),
    )
    await expectVerdict({ job_type: 'python', code: '6 * 7' }, harmless(42))
  }, 90_000)

  it('lua: a __gc finalizer cannot write to the database after the job reported', async () => {
    await expectVerdict(
      {
        job_type: 'lua',
        namespace: 'gc-probe',
        code: 'setmetatable({}, {__gc = function() db.set("late", "written after the job") end}) return "done"',
      },
      harmless('done'),
    )
    // A finalizer that still had the database would have written before the job's report.
    expect((await client.get('/api/db/gc-probe/late')).status).toBe(404)
  })

  it('left no trace on the host', () => {
    expect(existsSync(marker)).toBe(false)
  })

  for (const probe of REALM_PROBES)
    it(`${probe.runtime} realm probe: ${probe.name}`, async () => {
      const done = await client.run({ timeout_seconds: 10, ...(await probe.job()) }, 90)
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      expect(done.result).toEqual(probe.result)
    }, 90_000)

  it('left the orchestrator healthy and every runtime working', async () => {
    expect((await client.get('/health')).status).toBe(200)
    const jobs = await Promise.all([
      client.run({ job_type: 'js', code: '6 * 7' }),
      client.run({ job_type: 'lua', code: 'return 6 * 7' }),
      client.run({ job_type: 'python', code: '6 * 7' }),
      client.run({
        job_type: 'wasm',
        wasm_base64: toBase64(await wasmFixture('echo')),
        input_data: { answer: 42 },
      }),
    ])
    expect(jobs.map((j) => j.result)).toEqual([42, 42, 42, { answer: 42 }])
    expect((await client.get('/stats')).body.volunteers.connected).toBe(2)
  }, 60_000)
})
