/**
 * Warm Python functions on a real sandbox thread (the bundled runtime-thread, its realm locked
 * down, Pyodide from the pool's snapshot or loaded afresh): one namespace's functions and versions
 * share the thread's interpreter but none of each other's globals or module changes, and a
 * context that timed out or failed at its top level is made again.
 */
import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonObject } from '../../shared/protocol/json'
import type { RunOutcome, RunRequest } from '../../shared/runtime/runtime'
import { STOP_SIGNAL } from '../../shared/runtime/runtime'
import { entryPoint } from '../../shared/sandbox/node/entry-points'
import type { ThreadInit, ThreadMessage } from '../../shared/sandbox/sandbox-protocol'

let thread: Worker
const stop = new Int32Array(new SharedArrayBuffer(4))
let id = 0

beforeAll(() => {
  const init: ThreadInit = { stopFlag: stop.buffer as SharedArrayBuffer, stackBytes: 1 << 20 }
  thread = new Worker(entryPoint('runtime-thread'), { workerData: init, env: {} })
})
afterAll(() => thread.terminate())

/** Sends one request to the thread and waits for its report; the stop flag is set after `stopAfterMs`. */
function send(request: RunRequest, stopAfterMs?: number): Promise<RunOutcome> {
  const mine = ++id
  Atomics.store(stop, 0, 0)
  const timer =
    stopAfterMs === undefined
      ? undefined
      : setTimeout(() => Atomics.store(stop, 0, STOP_SIGNAL), stopAfterMs)
  return new Promise((resolve) => {
    const onMessage = (message: ThreadMessage) => {
      if (message.kind !== 'done' || message.id !== mine) return
      thread.off('message', onMessage)
      clearTimeout(timer)
      resolve(message.outcome)
    }
    thread.on('message', onMessage)
    thread.postMessage({ id: mine, deadline: Date.now() + request.timeoutMs, request })
  })
}

const base = (code: string, input: JsonObject | null, timeoutMs: number): RunRequest => ({
  runtime: 'python',
  namespace: 'alice',
  code,
  input,
  timeoutMs,
  memoryBytes: 128 << 20,
  outputLimit: 64 * 1024,
})

const call = (key: string, code: string, input: JsonObject = {}, stopAfterMs?: number) =>
  send(
    {
      ...base(code, input, stopAfterMs ? stopAfterMs + 200 : 30_000),
      mode: 'function',
      warm: { key },
    },
    stopAfterMs,
  )

const body = async (key: string, code: string, input: JsonObject = {}) => {
  const out = await call(key, code, input)
  if (!out.ok) throw new Error(`${key}: ${out.error.message}`)
  return (out.result as { body: unknown }).body
}

const COUNTER = `
import json
count = 0
def handle(req):
    global count
    count += 1
    return {"status": 200, "body": count}
`

/** A function that changes what a careless one could: a shared module, sys.modules, the environment. */
const MESSY = `
import json, os, sys, types
secret = "messy's globals"
def handle(req):
    json.loads = lambda *a, **k: "messy"
    sys.modules["messy_mod"] = types.ModuleType("messy_mod")
    os.environ["MESSY"] = "1"
    return {"status": 200, "body": "done"}
`

const NOSY = `
import json, os, sys
def handle(req):
    return {"status": 200, "body": [json.loads("[1]"), "messy_mod" in sys.modules,
        "MESSY" in os.environ, "secret" in globals(), "count" in globals()]}
`

describe('warm Python functions on a sandbox thread', () => {
  it('keeps state between two calls of one version', async () => {
    expect(await body('alice/count@1', COUNTER)).toBe(1)
    expect(await body('alice/count@1', COUNTER)).toBe(2)
  }, 60_000)

  it("shows two functions and two versions of one namespace nothing of each other's", async () => {
    expect(await body('alice/messy@1', MESSY)).toBe('done')
    expect(await body('alice/nosy@1', NOSY)).toEqual([[1], false, false, false, false])
    expect(await body('alice/count@2', COUNTER)).toBe(1)
    expect(await body('alice/count@1', COUNTER)).toBe(3)
    expect(await body('alice/messy@2', NOSY)).toEqual([[1], false, false, false, false])
  })

  it('starts jobs with fresh globals that see nothing of the warm functions', async () => {
    const out = await send(
      base(
        'import json, sys\n[json.loads("[2]"), "messy_mod" in sys.modules, "count" in globals()]',
        null,
        30_000,
      ),
    )
    expect(out).toMatchObject({ ok: true, result: [[2], false, false] })
  })

  it('makes a context again after a top-level error', async () => {
    const code = 'print("top")\nraise RuntimeError("no")\ndef handle(req):\n    return {}'
    for (let i = 0; i < 2; i++)
      expect(await call('alice/broken@1', code)).toMatchObject({ ok: false, output: 'top\n' })
  })

  it('does not reuse a context that timed out', async () => {
    const code = `${COUNTER}\n_h = handle\ndef handle(req):\n    r = _h(req)\n    while req.get("spin"):\n        pass\n    return r`
    expect(await body('alice/spin@1', code)).toBe(1)
    expect(await body('alice/spin@1', code)).toBe(2)
    expect(await call('alice/spin@1', code, { spin: true }, 300)).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    })
    expect(await body('alice/spin@1', code)).toBe(1)
  })

  it('still refuses another namespace on a thread that ran Python', async () => {
    const out = await send({ ...base('1', null, 30_000), namespace: 'bob' })
    expect(out).toMatchObject({ ok: false, error: { code: 'WORKER_CRASHED' } })
  })
})
