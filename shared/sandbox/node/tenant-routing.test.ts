/**
 * How the sandbox pool routes namespaces over real worker threads: a thread given a Python job
 * serves that namespace for life, in every runtime; other namespaces get an untainted thread or a
 * fresh one, the namespace's own Python jobs its warm interpreter, and the queue stays in order.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { RunnableJob } from '../../agent/volunteer-agent'
import { ThreadExecutor } from './thread-executor'

let executor: ThreadExecutor | undefined
afterEach(() => executor?.close())

let n = 0
const job = (job_type: RunnableJob['job_type'], namespace: string, code: string): RunnableJob => ({
  type: 'job',
  job_id: `r${++n}`,
  attempt: 1,
  job_type,
  namespace,
  code,
  input_data: null,
  timeout_ms: 30_000,
})

function pool(threads: number) {
  const made = new ThreadExecutor({ threads })
  executor = made
  return {
    executor: made,
    run: (j: RunnableJob) => made.execute(j, new AbortController().signal),
  }
}

/** Leaves a mark only the same interpreter can see (a class attribute survives the per-job reset). */
const PLANT = 'import json\njson.JSONDecoder.mark = "eve was here"\n1'
const READ = 'import json\ngetattr(json.JSONDecoder, "mark", None)'

describe('sandbox threads and namespaces', () => {
  it("replaces a Python-tainted thread before another namespace's job of any runtime", async () => {
    const { executor, run } = pool(1)
    expect(await run(job('python', 'eve', PLANT))).toMatchObject({ ok: true })
    const tainted = executor.replaced
    expect(await run(job('js', 'alice', '1 + 1'))).toMatchObject({ ok: true, result: 2 })
    expect(executor.replaced).toBe(tainted + 1)
    // Untainted again, it serves alice's light jobs without more replacing.
    expect(await run(job('lua', 'alice', 'return 3'))).toMatchObject({ ok: true, result: 3 })
    expect(await run(job('js', 'bob', '4'))).toMatchObject({ ok: true, result: 4 })
    expect(executor.replaced).toBe(tainted + 1)
    // eve's interpreter went with the thread.
    expect(await run(job('python', 'eve', READ))).toMatchObject({ ok: true, result: null })
  }, 90_000)

  it('lets the namespace that tainted a thread keep using it for every runtime', async () => {
    const { executor, run } = pool(1)
    await run(job('python', 'eve', PLANT))
    const before = executor.replaced
    expect(await run(job('js', 'eve', '"js"'))).toMatchObject({ ok: true, result: 'js' })
    expect(await run(job('lua', 'eve', 'return "lua"'))).toMatchObject({ ok: true, result: 'lua' })
    expect(await run(job('python', 'eve', READ))).toMatchObject({
      ok: true,
      result: 'eve was here',
    })
    expect(executor.replaced).toBe(before)
  }, 90_000)

  it("prefers the namespace's warm interpreter and an untainted thread for everyone else", async () => {
    const { executor, run } = pool(2)
    await run(job('python', 'eve', PLANT))
    expect(await run(job('js', 'alice', '"light"'))).toMatchObject({ ok: true })
    expect(await run(job('python', 'eve', READ))).toMatchObject({ result: 'eve was here' })
    // alice's Python takes the thread her light job left untainted; eve's stays eve's.
    expect(await run(job('python', 'alice', READ))).toMatchObject({ ok: true, result: null })
    expect(await run(job('python', 'eve', READ))).toMatchObject({ result: 'eve was here' })
    expect(executor.replaced).toBe(0)
    // Both threads tainted: a third namespace gets one of them replaced.
    expect(await run(job('js', 'bob', '"fresh"'))).toMatchObject({ ok: true, result: 'fresh' })
    expect(executor.replaced).toBe(1)
  }, 90_000)

  it('taints a thread when it dispatches a Python job, and keeps the queue in order', async () => {
    const { executor, run } = pool(1)
    const finished: string[] = []
    const track = (name: string, j: RunnableJob) =>
      run(j).then((outcome) => {
        finished.push(name)
        return outcome
      })
    // Submitted together: alice's job waits for eve's, then gets a fresh thread.
    const outcomes = await Promise.all([
      track('eve-python', job('python', 'eve', 'import time\ntime.sleep(0.2)\nTrue')),
      track('alice-js', job('js', 'alice', '"a"')),
      track('eve-lua', job('lua', 'eve', 'return "e"')),
      track('alice-lua', job('lua', 'alice', 'return "b"')),
    ])
    expect(outcomes.map((o) => o.ok && o.result)).toEqual([true, 'a', 'e', 'b'])
    expect(finished).toEqual(['eve-python', 'alice-js', 'eve-lua', 'alice-lua'])
    // eve's lua job ran on an untainted thread, so only alice's first job needed a new one.
    expect(executor.replaced).toBe(1)
  }, 90_000)
})
