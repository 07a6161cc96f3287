import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { loadPyodide } from 'pyodide'
import { beforeAll, describe, expect, it } from 'vitest'
import { PythonRuntime, type LoadPyodide } from './python-runtime'
import { control, request } from './test-helpers'

let py: PythonRuntime
beforeAll(async () => {
  py = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide)
}, 60_000)

const run = (
  code: string,
  input: Record<string, never> | Record<string, unknown> | null = null,
  namespace = 'default',
) => py.run(request('python', code, input as never, { namespace }), control())

describe('PythonRuntime', () => {
  it('runs the seed example: printed lines and the last expression', async () => {
    expect(await run('print("Hello from Python!")\nprint(2 + 2)')).toMatchObject({
      ok: true,
      output: 'Hello from Python!\n4\n',
      result: null,
    })
    expect(await run('x = 20\nx * 2 + 2')).toMatchObject({ ok: true, result: 42 })
  })

  it('gives INPUT as a dict and returns dicts and lists as JSON', async () => {
    expect(
      await run('{"total": sum(INPUT["xs"]), "name": INPUT["name"].upper()}', {
        xs: [1, 2, 3],
        name: 'ann',
      }),
    ).toMatchObject({ ok: true, result: { total: 6, name: 'ANN' } })
  })

  it('reports errors with the traceback and line', async () => {
    const out = await run('a = 1\nb = 2\nundefined_name + 1')
    expect(out).toMatchObject({
      ok: false,
      error: {
        code: 'GUEST_ERROR',
        message: "NameError: name 'undefined_name' is not defined",
        line: 3,
      },
    })
    if (!out.ok) expect(out.error.traceback).toContain('File "<job>", line 3')
  })

  it('reports syntax errors with the line', async () => {
    expect(await run('x = 1\ndef broken(:\n  pass')).toMatchObject({
      ok: false,
      error: { code: 'SYNTAX_ERROR', line: 2 },
    })
  })

  it('has the standard library offline', async () => {
    const code =
      'import json, re, math, datetime, collections, itertools, hashlib, statistics, sqlite3, decimal\nstatistics.mean([1, 2, 3])'
    expect(await run(code)).toMatchObject({ ok: true, result: 2 })
  })

  it('isolates globals and module changes between jobs', async () => {
    await run(
      'import json\njson.dumps = lambda *a, **k: "poisoned"\nimport sys\nsys.path.append("/evil")\nleaked = 1\nimport colorsys',
    )
    const out = await run(
      'import json, sys\n[json.dumps([1]), "/evil" in sys.path, "leaked" in globals(), "colorsys" in sys.modules]',
    )
    expect(out).toMatchObject({ ok: true, result: ['[1]', false, false, false] })
  })

  it('refuses a job from another namespace on the same interpreter', async () => {
    expect(await run('1', null, 'someone-else')).toMatchObject({ ok: false, poisoned: true })
  })
})

/** Spins until interrupted, but gives up after 20 s so that a broken interrupt fails the test rather than hanging it. */
const BOUNDED_SPIN =
  'import time\nstart = time.time()\nwhile time.time() - start < 20:\n    pass\n"not interrupted"'

describe('PythonRuntime limits', () => {
  it('fails a memory bomb with OUT_OF_MEMORY and keeps working', async () => {
    const bomb = py.run(
      request('python', 'x = []\nwhile True:\n    x.append(bytearray(10**6))', null, {
        memoryBytes: 64 << 20,
        timeoutMs: 20_000,
      }),
      control(20_000),
    )
    expect(await bomb).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' } })
    expect(await run('1 + 1')).toMatchObject({ ok: true, result: 2 })
  }, 30_000)

  it('stops at the stop flag (set by the owner at the deadline)', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const deadline = Date.now() + 300
    // The owner lives on another thread: this one is busy running Python.
    const owner = new Worker(
      "const { workerData } = require('node:worker_threads'); setTimeout(() => Atomics.store(new Int32Array(workerData), 0, 2), 300)",
      { eval: true, workerData: flag.buffer },
    )
    // Its timer runs on its own thread only once it is up; Python then holds this one.
    await once(owner, 'online')
    const out = await py.run(request('python', BOUNDED_SPIN, null, { timeoutMs: 300 }), {
      deadline,
      isCancelled: () => flag[0] !== 0,
      stopFlag: flag,
    })
    await owner.terminate()
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
    expect(await run('2 + 2')).toMatchObject({ ok: true, result: 4 })
  }, 30_000)

  it('turns deep recursion into STACK_OVERFLOW', async () => {
    expect(await run('def f(n):\n    return f(n + 1)\nf(0)')).toMatchObject({
      ok: false,
      error: { code: 'STACK_OVERFLOW' },
    })
  })
})
