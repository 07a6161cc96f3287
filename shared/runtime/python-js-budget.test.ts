import { loadPyodide } from 'pyodide'
import { beforeAll, describe, expect, it } from 'vitest'
import { MEMORY_SIGNAL } from './python-js-budget'
import { PythonRuntime, type LoadPyodide } from './python-runtime'
import { request } from './test-helpers'

let py: PythonRuntime
beforeAll(async () => {
  py = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide)
}, 60_000)

const CAP = 16 << 20

/** Runs `code` capped at 16 MiB with a shared stop flag, as a sandbox thread would. */
async function run(code: string) {
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const outcome = await py.run(
    request('python', code, null, { memoryBytes: CAP, timeoutMs: 20_000 }),
    {
      deadline: Date.now() + 20_000,
      isCancelled: () => flag[0] !== 0,
      stopFlag: flag,
    },
  )
  return { outcome, flag: flag[0] }
}

describe('the JS budget of a Python job', () => {
  it('lets a job use JavaScript values within its cap', async () => {
    const { outcome, flag } = await run(
      'from pyodide.ffi import to_js\nkeep = [to_js([i] * 1000) for i in range(100)]\nsum(len(k) for k in keep)',
    )
    expect(outcome).toMatchObject({ ok: true, result: 100_000 })
    expect(flag).toBe(0)
  })

  it.each([
    ['lists', 'keep = [to_js([i] * 100000) for i in range(100)]'],
    ['bytes', 'b = bytes(10**6)\nkeep = [to_js(b) for _ in range(100)]'],
    ['dicts', 'keep = [to_js({str(k): k for k in range(10000)}) for _ in range(200)]'],
    [
      'lists in one list',
      'keep = to_js([])\nfor i in range(100):\n    keep.push(to_js([i] * 100000))',
    ],
  ])(
    'fails a job that keeps %s past it with OUT_OF_MEMORY and flags its thread',
    async (_, code) => {
      const { outcome, flag } = await run(`from pyodide.ffi import to_js\n${code}`)
      expect(outcome).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' }, poisoned: true })
      expect(flag).toBe(MEMORY_SIGNAL)
    },
    30_000,
  )

  it('keeps failing a job that catches the interrupt it gets past the cap', async () => {
    const { outcome, flag } = await run(
      'from pyodide.ffi import to_js\nkeep = []\nfor i in range(300):\n    try:\n        keep.append(to_js([i] * 100000))\n    except BaseException:\n        pass\n"done"',
    )
    expect(outcome).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' } })
    expect(flag).toBe(MEMORY_SIGNAL)
  }, 30_000)

  it('starts the next job afresh', async () => {
    expect((await run('6 * 7')).outcome).toMatchObject({ ok: true, result: 42 })
  })
})
