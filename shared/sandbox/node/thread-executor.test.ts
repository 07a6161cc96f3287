import { afterAll, describe, expect, it } from 'vitest'
import type { JobFrame } from '../../protocol/frames'
import { ThreadExecutor } from './thread-executor'

const executor = new ThreadExecutor({
  threads: 1,
  memoryBytes: 16 << 20,
  killGraceMs: 300,
  cancelGraceMs: 100,
})
afterAll(() => executor.close())

let n = 0
function job(job_type: JobFrame['job_type'], code: string, timeout_ms = 2000): JobFrame {
  return {
    type: 'job',
    job_id: `j${++n}`,
    attempt: 1,
    job_type,
    namespace: 'default',
    code,
    input_data: { n: 2 },
    timeout_ms,
  }
}

const run = (frame: JobFrame, signal = new AbortController().signal) =>
  executor.execute(frame, signal)

describe('ThreadExecutor', () => {
  it('runs JavaScript and Lua in its sandbox thread', async () => {
    expect(await run(job('js', 'INPUT.n * 21'))).toMatchObject({ ok: true, result: 42 })
    expect(await run(job('lua', 'print("hi") return INPUT.n + 40'))).toMatchObject({
      ok: true,
      result: 42,
      output: 'hi\n',
    })
  })

  it('queues jobs beyond its threads and runs them in order', async () => {
    const outcomes = await Promise.all([1, 2, 3].map((i) => run(job('js', `${i}`))))
    expect(outcomes.map((o) => (o.ok ? o.result : o.error.code))).toEqual([1, 2, 3])
  })

  it('kills and replaces a thread stuck in a native call past its deadline', async () => {
    const before = executor.replaced
    // Array.fill near the memory cap spins in native code that never checks the interrupt handler.
    const stuck = await run(
      job('js', 'const a = []; while (true) a.push(new Array(1e5).fill(1))', 300),
    )
    expect(stuck).toMatchObject({
      ok: false,
      error: { code: expect.stringMatching(/TIMEOUT|OUT_OF_MEMORY/) },
    })
    expect(await run(job('js', '"still here"'))).toMatchObject({ ok: true, result: 'still here' })
    if (!stuck.ok && stuck.error.code === 'TIMEOUT')
      expect(executor.replaced).toBeGreaterThan(before)
  })

  it('cancels a running job through the shared flag', async () => {
    const abort = new AbortController()
    const pending = run(job('lua', 'while true do end', 60_000), abort.signal)
    setTimeout(() => abort.abort(), 100)
    const started = Date.now()
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('replaces a thread whose interpreter a guest damaged', async () => {
    const before = executor.replaced
    const out = await run(
      job('lua', 'while true do pcall(function() while true do end end) end', 200),
    )
    expect(out).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
    expect(executor.replaced).toBe(before + 1)
    expect(await run(job('lua', 'return "fresh"'))).toMatchObject({ ok: true, result: 'fresh' })
  })
})
